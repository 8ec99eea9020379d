"""Load the registry's fixtures (vocabularies, then the real seed data) into the database; safe to run again.

Each loader creates what is missing and leaves existing rows alone, so a second run changes nothing.
"""

from importlib import import_module

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

# Run in this order: later loaders refer to what earlier ones create. Each is a function that takes no argument,
# returns {"<things>_<outcome>": count} and raises its module's SeedDataError when the fixtures cannot be loaded.
# The indicators app adds its loader after the vocabularies it refers to, e.g. "indicators.seed.load_indicators".
LOADERS = [
    "projects.seed.load_vocabularies",
    "projects.seed.load_projects",
    "projects.seed.load_events",
    "indicators.seed.load_indicators",
]


def summarise(counts: dict[str, int]) -> str:
    """{"projects_created": 62, "projects_skipped": 0} -> "projects 62 created, 0 skipped"."""
    grouped: dict[str, list[str]] = {}
    for key, value in counts.items():
        things, _, outcome = key.rpartition("_")
        grouped.setdefault(things or key, []).append(f"{value} {outcome}")
    return "; ".join(f"{things} {', '.join(outcomes)}" for things, outcomes in grouped.items())


class Command(BaseCommand):
    help = (
        "Load the fixtures: reference vocabularies, then the CPEC projects seed data. Creates what is missing, "
        "never changes existing rows (a second run creates nothing)."
    )

    def handle(self, *args, **options):
        created = 0
        for dotted_path in LOADERS:
            loader = import_string(dotted_path)
            data_error = getattr(import_module(loader.__module__), "SeedDataError", None)
            try:
                counts = loader()
            except Exception as error:
                if data_error is not None and isinstance(error, data_error):
                    raise CommandError(f"{dotted_path}: {error}") from error
                raise
            created += sum(value for key, value in counts.items() if key.endswith("_created"))
            self.stdout.write(f"{dotted_path}: {summarise(counts)}")
        self.stdout.write(
            self.style.SUCCESS(f"Seed data loaded: {created} rows created." if created else "Seed data already loaded.")
        )
