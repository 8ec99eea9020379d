"""API routes of the indicators app, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from indicators.api import views
from registry.api.root import register_endpoint

router = SimpleRouter()
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("observations", views.ObservationViewSet, basename="observation")

urlpatterns = router.urls

register_endpoint("indicators", "indicator-list")
register_endpoint("observations", "observation-list")
