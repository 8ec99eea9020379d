"""URL map: the landing page, health check, API v1, its schema and docs, and the editors' admin."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from registry.api.changes import ChangeFeedView
from registry.api.docs import RedocView, SchemaView, SwaggerView
from registry.api.root import ApiRootView, register_endpoint
from registry.docs import redoc_bundle
from registry.health import healthz

admin.site.site_header = "CPEC Project Registry"
admin.site.site_title = "CPEC Project Registry"
admin.site.index_title = "Registry data"
# "View site" leads to the registry's public face, the landing page.
admin.site.site_url = "/"
# The app list is on the index page; without the sidebar a 1366 px screen fits the lists and forms.
admin.site.enable_nav_sidebar = False


def favicon(request):
    """Browsers ask for /favicon.ico on every page that names no icon (the admin, the API's own pages)."""
    return HttpResponsePermanentRedirect(static("registry/favicon.ico"))


urlpatterns = [
    path("", include("projects.site_urls")),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("projects.api.urls")),
    path("api/v1/", include("indicators.api.urls")),
    path("api/v1/changes/", ChangeFeedView.as_view(), name="change-feed"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("admin/", admin.site.urls),
]

register_endpoint("changes", "change-feed")

# JSON on API paths, Django's pages elsewhere (registry.errors).
handler400 = "registry.errors.bad_request"
handler403 = "registry.errors.permission_denied"
handler404 = "registry.errors.not_found"
handler500 = "registry.errors.server_error"
