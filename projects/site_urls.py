"""The public pages outside the API: the landing page at ``/``."""

from django.urls import path

from projects.landing import landing_page

urlpatterns = [path("", landing_page, name="landing")]
