"""API routes of the projects app, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from projects.api import reports, views
from registry.api.root import register_endpoint

router = SimpleRouter()
router.register("corridors", views.CorridorViewSet, basename="corridor")
router.register("pillars", views.PillarViewSet, basename="pillar")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("provinces", views.ProvinceViewSet, basename="province")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("status-changes", views.StatusChangeViewSet, basename="statuschange")
router.register("investments", views.InvestmentFigureViewSet, basename="investment")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("sources", views.SourceViewSet, basename="source")
router.register("events", views.EventViewSet, basename="event")
router.register("exchange-rates", views.ExchangeRateViewSet, basename="exchange-rate")

urlpatterns = [
    path("stats/investment/", reports.InvestmentStatsView.as_view(), name="stats-investment"),
    path("stats/investment/timeline/", reports.InvestmentTimelineView.as_view(), name="stats-investment-timeline"),
    *router.urls,
]

for name, url_name in [
    ("corridors", "corridor-list"),
    ("pillars", "pillar-list"),
    ("sectors", "sector-list"),
    ("provinces", "province-list"),
    ("projects", "project-list"),
    ("status_changes", "statuschange-list"),
    ("investments", "investment-list"),
    ("organisations", "organisation-list"),
    ("sources", "source-list"),
    ("events", "event-list"),
    ("exchange_rates", "exchange-rate-list"),
    ("stats_investment", "stats-investment"),
    ("stats_investment_timeline", "stats-investment-timeline"),
]:
    register_endpoint(name, url_name)
