"""Create a personal API token for a user from the shell (an integration's user, say)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.services import (
    DEFAULT_TOKEN_LIFETIME_DAYS,
    MAX_TOKEN_LIFETIME_DAYS,
    create_api_token,
)


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What will use the token.")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_TOKEN_LIFETIME_DAYS,
            help=f"How long it works (1 to {MAX_TOKEN_LIFETIME_DAYS} days; "
            f"default {DEFAULT_TOKEN_LIFETIME_DAYS}).",
        )  # fmt: skip

    def handle(self, *args, username, name, days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        try:
            token, key = create_api_token(user, name=name, days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(key)
        self.stderr.write(f"It works until {token.expires_at:%Y-%m-%d %H:%M} UTC.")
