"""``GET /api/v1/``: the list of the API's endpoints, so that a client can discover them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# (name in the answer, URL name): list endpoints first, then the computed ones.
ENDPOINTS: list[tuple[str, str]] = []


def register_endpoint(name: str, url_name: str) -> None:
    """Apps call this from their ``api/urls.py`` so the root lists what is wired, nothing more."""
    if (name, url_name) not in ENDPOINTS:
        ENDPOINTS.append((name, url_name))


class ApiRootView(APIView):
    """The registry API's entry point: every endpoint by name, with its absolute URL."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["meta"],
        summary="List the API's endpoints",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        endpoints = {name: reverse(url_name, request=request) for name, url_name in ENDPOINTS}
        endpoints["schema"] = reverse("schema", request=request)
        endpoints["docs"] = reverse("swagger-ui", request=request)
        return Response(endpoints)
