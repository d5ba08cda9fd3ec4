"""API authentication with personal tokens (tenancy.models.ApiToken): the header is
`Authorization: Token <key>`, as before; the key is looked up by its SHA-256. A revoked
or unknown key, and one past its `expires_at`, answer 401 (the latter saying so)."""

import hashlib
import re
from datetime import timedelta

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from . import clock
from .models import ApiToken

# New keys are 43 URL-safe characters; keys issued before (40 hex) are accepted too.
_KEY = re.compile(r"\A[A-Za-z0-9_-]{20,64}\Z")
# "Last used" is written at most this often, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=5)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def live_token(key: str, request=None) -> ApiToken | None:
    """The unrevoked token of an active user this key names (expired or not), or None.
    With the Django `request`, looked up once per request (a middleware may ask first)."""
    cached = getattr(request, "_api_token_lookup", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    token = None
    if _KEY.match(key or ""):
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_key(key), revoked_at=None)
            .first()
        )
    if token is not None and not token.user.is_active:
        token = None
    if request is not None:
        request._api_token_lookup = (key, token)
    return token


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        self._django_request = getattr(request, "_request", request)
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        token = live_token(key, getattr(self, "_django_request", None))
        if token is None:
            raise AuthenticationFailed("Invalid or revoked token.")
        now = clock.now()
        if now >= token.expires_at:
            raise AuthenticationFailed(
                f"This token expired on {token.expires_at:%Y-%m-%d}. Create a new one on "
                "the API tokens page (/account/tokens/) and revoke this one.",
                code="token_expired",
            )
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
