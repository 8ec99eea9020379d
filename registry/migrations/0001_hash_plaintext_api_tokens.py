"""Convert the plaintext API tokens of rest_framework.authtoken into hashed django-rest-knox tokens.

Each old key keeps working (``Authorization: Token <key>`` is unchanged) until it expires, ``API_TOKEN_DAYS`` after
this migration; then the old table, which held the keys in plaintext, is dropped, and authtoken's migration records
with it (so that an older release, if ever redeployed, recreates its table cleanly). A database that never had
authtoken (every new one) has nothing to convert. Plaintext keys cannot be recovered, so this is not reversible
beyond dropping the converted tokens.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"
KEY_ID_LENGTH = 15  # knox's CONSTANTS.TOKEN_KEY_LENGTH: the part of a key stored to find its digest


def digest(key: str) -> str:
    """knox's hash of a token (knox.crypto.hash_token with its default SHA-512), frozen here."""
    return hashlib.sha512(key.encode("utf-8")).hexdigest()


def aware(created) -> datetime.datetime:
    """A raw timestamp as an aware UTC datetime: SQLite hands back text without an offset (UTC, as Django stores)."""
    if isinstance(created, str):
        created = parse_datetime(created)
    return timezone.make_aware(created, datetime.UTC) if timezone.is_naive(created) else created


def convert_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    quoted = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id, created FROM {quoted}")  # noqa: S608
        rows = cursor.fetchall()
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    for key, user_id, created in rows:
        token = AuthToken(digest=digest(key), token_key=key[:KEY_ID_LENGTH], user_id=user_id, expiry=expiry)
        token.save(force_insert=True)
        AuthToken.objects.filter(pk=token.pk).update(created=aware(created))  # auto_now_add set it to now
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {quoted}")
        recorder = connection.ops.quote_name("django_migrations")
        cursor.execute(f"DELETE FROM {recorder} WHERE app = %s", ["authtoken"])  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("knox", "0009_extend_authtoken_field"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(convert_plaintext_tokens, migrations.RunPython.noop)]
