"""Which organizations the code running now may touch: the scope.

The scope lives in a context variable (one per thread and per task); the database backend
(`rowsecurity.backend`) brings each PostgreSQL session in line with it before a query:

- outside any scope: the login role. In production that is the app's login role, which
  the policies bind, so it sees no organization's rows.
- organizations: the app role (`DATABASE_APP_ROLE`), the rows of those organizations
  only (none when the list is empty).
- all organizations: the app role, every organization's rows; only for work that says
  why (`all_organizations(reason=...)`), never inside a web request.

A request enters a scope with no organization (`request_scope()`, the middleware); the
place that resolves the request's organization adds it (`enter_organizations()`).
"""

from __future__ import annotations

import functools
import inspect
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

logger = logging.getLogger(__name__)


class RowSecurityError(RuntimeError):
    """Code asked for rows its scope may not reach (e.g. a request spanning organizations)."""


@dataclass(frozen=True)
class Scope:
    # "organizations" (the listed ones, maybe none) or "all".
    kind: str = "organizations"
    organizations: tuple[int, ...] = ()
    # A portal link's token hash: its own row is visible before the organization is known.
    token_hash: str = ""
    # Inside a web request: spanning organizations is refused.
    request: bool = False
    reason: str = ""


_scope: ContextVar[Scope | None] = ContextVar("rowsecurity_scope", default=None)


def current_scope() -> Scope | None:
    return _scope.get()


@contextmanager
def _entered(scope: Scope | None):
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def _ids(organizations) -> tuple[int, ...]:
    return tuple(sorted({int(pk) for pk in organizations if pk is not None}))


# -- requests ----------------------------------------------------------------------------


@contextmanager
def request_scope():
    """A web request: no organization until the request's own is decided."""
    with _entered(Scope(request=True)):
        yield


def enter_organizations(organizations) -> None:
    """The current request may now touch these organizations' rows (the URL's organization,
    a portal link's, the admin's). Outside a request this does nothing: tasks and commands
    enter theirs with `organization()`."""
    scope = _scope.get()
    if scope is None or not scope.request:
        return
    _scope.set(replace(scope, kind="organizations", organizations=_ids(organizations)))


def enter_all_organizations(*, reason: str) -> None:
    """The one way a request sees every organization: the admin for a superuser. Refused
    outside a request (use `all_organizations()`) and without a reason."""
    scope = _scope.get()
    if not reason:
        raise ValueError("Say why this request spans organizations.")
    if scope is None or not scope.request:
        raise RowSecurityError("enter_all_organizations() is for requests only.")
    logger.debug("request spans organizations: %s", reason)
    _scope.set(replace(scope, kind="all", organizations=(), reason=reason))


@contextmanager
def portal_token(token_hash: str):
    """While looking up a portal link by its token: that one row is visible (the policy
    `rowsecurity_portal_token`), and nothing else is."""
    scope = _scope.get()
    if scope is None:
        yield
        return
    with _entered(replace(scope, token_hash=token_hash)):
        yield


# -- tasks and commands ------------------------------------------------------------------


@contextmanager
def organization(organization_id):
    """Work on one organization's rows (None: on none). Inside a request, only an
    organization the request already reaches."""
    outer = _scope.get()
    wanted = _ids([organization_id])
    inside_request = outer is not None and outer.request and outer.kind != "all"
    if inside_request and not set(wanted) <= set(outer.organizations):
        raise RowSecurityError(
            f"A request of organization(s) {list(outer.organizations)} cannot enter "
            f"organization {organization_id}."
        )
    with _entered(Scope(organizations=wanted, request=bool(outer and outer.request))):
        yield


@contextmanager
def all_organizations(*, reason: str):
    """Work that legitimately spans organizations (the step clock, beat's sweepers, the
    demo loader) says so, and why. Refused inside a web request, so that no page or API
    route can take it by accident."""
    if not reason:
        raise ValueError("Say why this work spans organizations.")
    outer = _scope.get()
    if outer is not None and outer.request:
        raise RowSecurityError(f"A web request cannot span organizations ({reason}).")
    logger.debug("spanning organizations: %s", reason)
    with _entered(Scope(kind="all", reason=reason)):
        yield


def organization_of(model, pk=None, **lookup) -> int | None:
    """The organization of one row (by `pk` or a unique `lookup`), read past the policies:
    only its id. Tasks and commands enter the organization of the row they were given;
    None when there is no such row (or the key is malformed)."""
    from django.core.exceptions import ValidationError

    outer = _scope.get()
    lookup = {"pk": pk} if pk is not None else lookup
    if not lookup or None in lookup.values():
        return None
    with _entered(Scope(kind="all", request=bool(outer and outer.request), reason="lookup")):
        try:
            rows = model._base_manager.filter(**lookup)
            return rows.values_list("organization_id", flat=True).first()
        except (ValidationError, ValueError, TypeError):
            return None


def _declare(func, kind: str, enter):
    signature = inspect.signature(func)

    @functools.wraps(func)
    def run(*args, **kwargs):
        with enter(signature.bind(*args, **kwargs).arguments):
            return func(*args, **kwargs)

    run.row_security = kind
    return run


def for_row(model, argument: str):
    """A task about one row (named by the argument `argument`, its primary key) runs in
    that row's organization. A missing row: in no organization."""

    def decorate(func):
        def enter(arguments):
            return organization(organization_of(model, arguments[argument]))

        return _declare(func, f"for_row:{model._meta.label}.{argument}", enter)

    return decorate


def spans_organizations(reason: str):
    """A task that legitimately spans organizations (a beat sweeper), and why."""

    def decorate(func):
        return _declare(func, f"spans:{reason}", lambda _: all_organizations(reason=reason))

    return decorate


def no_organization(reason: str):
    """A task that touches no organization's rows (the scheduler heartbeat)."""

    def decorate(func):
        return _declare(func, f"none:{reason}", lambda _: organization(None))

    return decorate
