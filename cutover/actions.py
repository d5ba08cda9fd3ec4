"""The base of the cutover pages' POST actions: a migration's page, one service."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.views_base import ParentMigrationMixin
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView


def _go_url(view, migration):
    return reverse("cutover-go", args=[view.organization.slug, migration.uuid])


class _Action(ParentMigrationMixin, OrgMixin, ServiceActionView):
    refused = (ValidationError, TransitionRefused)
    back = staticmethod(_go_url)

    def form(self, migration):
        raise NotImplementedError

    def target(self):
        return self.get_migration()

    def build_form(self, migration):
        return self.form(migration)

    def back_url(self, migration):
        return self.back(self, migration)
