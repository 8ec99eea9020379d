"""``manage.py backup_registry [--output FILE]``: write the whole registry, history included, to one file."""

import contextlib
import gzip
import io
import os
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registry.backup import BackupError, summary, write_backup

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "backups"


def default_path() -> Path:
    return DEFAULT_DIRECTORY / f"cpec-registry-{timezone.now():%Y%m%dT%H%M%SZ}.json.gz"


def write_text(binary) -> Counter:
    text = io.TextIOWrapper(binary, encoding="utf-8")
    counts = write_backup(text)
    text.flush()
    text.detach()  # leave the binary stream open for its owner to close
    return counts


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


class Command(BaseCommand):
    help = (
        "Back up the whole registry: every project, vocabulary, figure, indicator and observation, their change "
        "history, and the users, groups and API tokens that history and the API refer to. The file contains "
        "password hashes and API tokens: keep it as secret as the database. Restore it with restore_registry."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The file to write (gzip when it ends in .gz). Default: backups/cpec-registry-<UTC time>.json.gz.",
        )

    def handle(self, *args, output=None, **options):
        path = output or default_path()
        partial = path.with_name(f".{path.name}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)  # left by a backup that was killed
            # Readable by its owner only, from the first byte: the file holds password hashes and API tokens.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(descriptor, "wb") as raw:
                if path.suffix == ".gz":
                    with gzip.GzipFile(fileobj=raw, mode="wb", filename="") as compressed:
                        counts = write_text(compressed)
                else:
                    counts = write_text(raw)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, path)  # a failed backup never leaves a half-written file under the final name
        except (BackupError, OSError) as error:
            remove(partial)
            raise CommandError(f"Backup failed: {error}") from error
        except BaseException:
            remove(partial)
            raise
        self.stdout.write(self.style.SUCCESS(f"Backed up {summary(counts)} to {path}."))
        self.stdout.write("The file holds password hashes and API tokens: store it as securely as the database.")
