"""``manage.py restore_registry FILE``: restore a backup_registry file into an empty database, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.backup import BackupError, read_backup, restore_backup, summary


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_registry into an empty, migrated database (at the backup's migrations). "
        "Refuses a database that already holds any project, record, history row, user, group or token; restores "
        "in one transaction, so a failure stores nothing; resets the id sequences afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A backup file (.json or .json.gz) written by backup_registry.")

    def handle(self, *args, file, **options):
        try:
            with file.open("rb") as stream:
                data = read_backup(stream)
            counts = restore_backup(data)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        except BackupError as error:
            raise CommandError(f"{file}: {error}") from error
        made = data.get("created_at", "at an unknown time")
        self.stdout.write(self.style.SUCCESS(f"Restored {summary(counts)} from {file}, made {made}."))
