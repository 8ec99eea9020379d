from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark's tools as a Django app (``manage.py seed_synthetic``): no models, no URLs."""

    name = "bench"
    verbose_name = "Benchmark tools"
