"""The OpenAPI schema and its two documentation pages, answering their errors in JSON like the rest of the API."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from registry.api.views import JSONErrorsMixin
from registry.docs import RegistryRedocView


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(JSONErrorsMixin, RegistryRedocView):
    pass
