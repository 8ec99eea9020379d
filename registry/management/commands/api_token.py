"""Issue, list and revoke API tokens (django-rest-knox: the registry stores only a digest of each key).

manage.py api_token issue amina [--days 30]   # prints the key once, on the last line
manage.py api_token list [amina]
manage.py api_token revoke 1a2b3c4d5e6f7a8     # one token, by its id (or by the whole key)
manage.py api_token revoke --all amina         # every token of a user
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS

MAX_DAYS = 3650


def token_id(token: AuthToken) -> str:
    """The start of the key, stored in clear by knox to find the digest: enough to name a token, useless to use it."""
    return token.token_key


def describe(token: AuthToken) -> str:
    expiry = token.expiry.strftime("%Y-%m-%d %H:%M UTC") if token.expiry else "never"
    state = " (expired)" if token.expiry and token.expiry <= timezone.now() else ""
    return f"{token_id(token)}  {token.user.get_username()}  issued {token.created:%Y-%m-%d}  expires {expiry}{state}"


class Command(BaseCommand):
    help = "Issue (shown once, with an expiry), list and revoke API tokens (Authorization: Token <key>)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        issue = actions.add_parser("issue", help="Issue a new token for a user and print it once.")
        issue.add_argument("username")
        issue.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Days the token is valid (1-{MAX_DAYS}); default API_TOKEN_DAYS ({settings.API_TOKEN_DAYS}).",
        )
        listing = actions.add_parser("list", help="List tokens (id, user, issue and expiry dates).")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="Revoke one token by its id (or key), or --all of a user's.")
        revoke.add_argument("token", nargs="?", help="The token's id as `list` shows it, or the whole key.")
        revoke.add_argument("--all", metavar="USERNAME", dest="all_of", help="Revoke every token of this user.")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def user(self, username: str):
        try:
            return get_user_model()._default_manager.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None

    def handle_issue(self, *, username, days, **options):
        days = settings.API_TOKEN_DAYS if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be from 1 to {MAX_DAYS}, got {days}: every token expires.")
        user = self.user(username)
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token for it would be refused.")
        token, key = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
        until = f"{token.expiry:%Y-%m-%d %H:%M} UTC"
        self.stdout.write(f"Issued token {token_id(token)} for {username}, valid until {until}.")
        self.stdout.write("Send it as `Authorization: Token <key>`. It is shown only now: the registry keeps its hash.")
        self.stdout.write(key)

    def handle_list(self, *, username, **options):
        tokens = AuthToken.objects.select_related("user").order_by("created")
        if username:
            tokens = tokens.filter(user=self.user(username))
        lines = [describe(token) for token in tokens]
        self.stdout.write("\n".join(lines) if lines else "No tokens.")

    @transaction.atomic
    def handle_revoke(self, *, token, all_of, **options):
        if (token is None) == (all_of is None):
            raise CommandError("Name one token (its id or key) or --all USERNAME, not both nor neither.")
        if all_of is not None:
            count, _ = AuthToken.objects.filter(user=self.user(all_of)).delete()
            self.stdout.write(f"Revoked {count} token(s) of {all_of}.")
            return
        matches = list(AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user"))
        if not matches:
            raise CommandError(f"No token {token[: CONSTANTS.TOKEN_KEY_LENGTH]!r} (see `api_token list`).")
        if len(matches) > 1:
            raise CommandError("Several tokens start like this one: give the whole key, or revoke --all of the user.")
        matches[0].delete()
        self.stdout.write(f"Revoked token {token_id(matches[0])} of {matches[0].user.get_username()}.")
