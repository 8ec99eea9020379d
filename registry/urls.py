"""URL map: health check, API v1, its schema and docs, and the editors' admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from registry.api.root import ApiRootView
from registry.health import healthz

admin.site.site_header = "CPEC Project Registry"
admin.site.site_title = "CPEC Project Registry"
admin.site.index_title = "Registry data"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("projects.api.urls")),
    path("api/v1/", include("indicators.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]
