"""URL map: the landing page, health check, API v1, its schema and docs, and the editors' admin."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from registry.api.root import ApiRootView
from registry.docs import RegistryRedocView, redoc_bundle
from registry.health import healthz

admin.site.site_header = "CPEC Project Registry"
admin.site.site_title = "CPEC Project Registry"
admin.site.index_title = "Registry data"


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
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RegistryRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("admin/", admin.site.urls),
]


def not_found(request, exception):
    """API clients get JSON errors even for a URL that matches no route."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


handler404 = not_found
