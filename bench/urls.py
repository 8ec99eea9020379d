"""The registry's URLs plus the benchmark's baselines under /bench/ (used with bench.settings only)."""

from django.urls import path

from bench import baseline
from registry.urls import urlpatterns as registry_urlpatterns

urlpatterns = [
    *registry_urlpatterns,
    path("bench/projects/", baseline.project_list, name="bench-project-list"),
    path("bench/projects.csv", baseline.project_csv, name="bench-project-csv"),
    path("bench/projects.geojson", baseline.project_geojson, name="bench-project-geojson"),
    path("bench/projects/<slug:slug>/", baseline.project_detail, name="bench-project-detail"),
    path("bench/stats/", baseline.investment_stats, name="bench-stats"),
    path("bench/observations/", baseline.observation_list, name="bench-observation-list"),
]
