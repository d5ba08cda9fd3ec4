"""django-axes, configured to count failed sign-ins per account and per address
(config/settings/base.py, docs/accounts.md). Axes does the counting, the lockout and the
429; this module only tells it who the account is and gives the address its own limit."""

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db.models import Q, Sum

from tenancy import clock


def canonical_username(given: str) -> str:
    """The account a sign-in names, as one key whatever was typed: "ANA", "ana" and
    ana@example.com are all the account "ana" (allauth matches usernames and emails
    without regard to case). A name that is no account is kept, lower-cased."""
    given = (given or "").strip()
    if not given:
        return ""
    users = (
        get_user_model()
        .objects.filter(Q(username__iexact=given) | Q(email__iexact=given), is_active=True)
        .values_list("username", flat=True)[:2]
    )
    users = list(users)
    return users[0] if len(users) == 1 else given.lower()


def username_for_axes(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE: the account of this sign-in, from allauth's credentials
    (`username` or `email`) or the posted form (`login`)."""
    credentials = credentials or {}
    given = credentials.get("username") or credentials.get("email")
    if not given and request is not None:
        data = getattr(request, "POST", {})
        given = data.get("login") or data.get("username")
    cache = getattr(request, "_axes_usernames", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._axes_usernames = cache
    key = given or ""
    if key not in cache:
        cache[key] = canonical_username(key)
    return cache[key]


def recent_attempts():
    """Failed sign-ins still inside the cool-off window (all of them without one)."""
    cool_off = get_cool_off()
    rows = AccessAttempt.objects.all()
    return rows.filter(attempt_time__gte=clock.now() - cool_off) if cool_off else rows


def failures_by_account(usernames) -> dict[str, int]:
    """{username: failed sign-ins counting now} for these accounts, in one query."""
    rows = (
        recent_attempts()
        .filter(username__in=list(usernames))
        .values("username")
        .annotate(n=Sum("failures_since_start"))
    )
    return {row["username"]: row["n"] for row in rows}


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per lockout parameter: an account is locked
    after AXES_FAILURE_LIMIT failures from any address; an address after
    LOGIN_ADDRESS_FAILURE_LIMIT failures for any accounts (an office behind one address
    shares it, so its limit is higher)."""

    def get_failures(self, request, credentials=None) -> int:
        account_limit = get_failure_limit(request, credentials)
        username = get_client_username(request, credentials)
        threshold = get_cool_off_threshold(request)
        recent = AccessAttempt.objects.filter(attempt_time__gte=threshold)
        by_account = 0
        if username:
            by_account = (
                recent.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0
            )
        by_address = (
            recent.filter(ip_address=request.axes_ip_address).aggregate(
                n=Sum("failures_since_start")
            )["n"]
            or 0
        )
        if by_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, account_limit)
        return by_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful sign-in, forget that account's own failures from that
        address, and nothing else: a guesser elsewhere keeps their count, and signing in
        to one's own account does not wipe an address's failures for other accounts."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
