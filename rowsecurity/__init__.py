"""The second wall under tenancy: PostgreSQL row-level security (docs/tenancy-and-roles.md).

Every organization-scoped table carries a policy that shows and accepts only the rows of
the organizations the database session names. The app names them here, in one place per
kind of entry: a request (`request_scope()` in the middleware, then
`enter_organizations()` where the request's organization is decided), a Celery task
(`for_row()`, `spans_organizations()`, `no_organization()`), a command
(`organization()`, `all_organizations()`). A queryset that forgot its `.for_org()` then
still cannot read or write another organization's rows.

This package sits below the kernel: it imports no app. `tenancy` tells it which models
are organization-scoped (`register_scoped_base()` in its AppConfig.ready())."""

from .registry import register_scoped_base
from .scope import (
    RowSecurityError,
    all_organizations,
    current_scope,
    enter_all_organizations,
    enter_organizations,
    for_row,
    no_organization,
    organization,
    organization_of,
    portal_token,
    request_scope,
    spans_organizations,
)

__all__ = [
    "RowSecurityError",
    "all_organizations",
    "current_scope",
    "enter_all_organizations",
    "enter_organizations",
    "for_row",
    "no_organization",
    "organization",
    "organization_of",
    "portal_token",
    "register_scoped_base",
    "request_scope",
    "spans_organizations",
]
