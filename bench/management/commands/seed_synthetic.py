"""``manage.py seed_synthetic``: fill a scratch database with synthetic projects and observations for benchmarks.

Refuses a database that holds real projects or observations unless ``--force``. Synthetic rows from an earlier run
are replaced. See ``bench.synthetic`` for what is generated and how it is marked.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from bench import synthetic


def positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Write synthetic projects (with status histories, money claims, participants, sources) and indicator "
        "observations for benchmarks. Every row is marked synthetic; simple-history records nothing for them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=positive, default=50_000, help="Number of projects (default 50000).")
        parser.add_argument(
            "--observations", type=positive, default=2_000_000, help="Number of observations (default 2000000)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for a reproducible data set.")
        parser.add_argument(
            "--force", action="store_true", help="Seed even though the database holds real (non-synthetic) records."
        )
        parser.add_argument("--delete", action="store_true", help="Only remove the synthetic data, write nothing.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, projects, observations, seed, force, delete, database, **options):
        started = time.monotonic()

        def log(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {message}")

        if delete:
            with transaction.atomic(using=database):
                deleted = synthetic.delete_synthetic(database)
            log("deleted " + ", ".join(f"{count} {name}" for name, count in deleted.items()))
            return
        real = synthetic.real_records()
        if real and not force:
            listing = ", ".join(f"{count} {name}" for name, count in real.items())
            raise CommandError(
                f"This database holds real records ({listing}). Synthetic data is for a scratch database: "
                "create one (e.g. createdb cpec_bench) and point DATABASE_URL at it, or pass --force to mix them."
            )
        with transaction.atomic(using=database):
            deleted = synthetic.delete_synthetic(database)
            if any(deleted.values()):
                log(f"replaced the earlier synthetic data ({deleted['projects']} projects)")
            try:
                counts = synthetic.seed(
                    projects=projects, observations=observations, seed_value=seed, using=database, log=log
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
        log("done: " + ", ".join(f"{count} {name}" for name, count in counts.items()))
        connection = connections[database]
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Bulk-loaded rows are read fastest once vacuumed (hint bits, visibility map for index-only scans).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            log("vacuumed and analysed")
