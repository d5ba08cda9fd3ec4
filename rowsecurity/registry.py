"""Which tables the policies protect, found from the models.

`tenancy` registers its abstract `OrgScopedModel` here (in its AppConfig.ready()); this
package imports no app. A protected table is one of:

- **organization**: a concrete model deriving from a registered base, and its
  django-simple-history table (which copies the `organization_id` column): rows of the
  organizations in scope only;
- **through a parent**: a many-to-many table of such a model (and its history twin),
  which has no `organization_id` of its own: rows whose parent row is visible.

A model with a `token_hash` column (a portal link) is also readable by the one row whose
hash the session names (`scope.portal_token()`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

_bases: list[type] = []


def register_scoped_base(base: type) -> None:
    if base not in _bases:
        _bases.append(base)


@dataclass(frozen=True, order=True)
class Table:
    """One protected table. `parent_table`/`parent_column`/`column`: for a table scoped
    through a parent, the parent's table, the parent's key and this table's column that
    points at it."""

    name: str
    parent_table: str = ""
    parent_column: str = ""
    column: str = ""
    token: bool = False

    def as_tuple(self):
        return (self.name, self.parent_table, self.parent_column, self.column, self.token)


def _is_scoped(model) -> bool:
    return any(issubclass(model, base) for base in _bases)


def _concrete(model) -> bool:
    meta = model._meta
    return meta.managed and not meta.proxy and not meta.abstract


def _through_tables(model) -> list[Table]:
    tables = []
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if not through._meta.auto_created:
            continue
        parent = next(f for f in through._meta.concrete_fields if f.related_model is model)
        tables.append(
            Table(
                through._meta.db_table,
                parent_table=model._meta.db_table,
                parent_column=model._meta.pk.column,
                column=parent.column,
            )
        )
    return tables


def protected_tables() -> list[Table]:
    """Every table the policies must cover, from the models as they are now."""
    tables: list[Table] = []
    for model in apps.get_models(include_auto_created=True):
        original = getattr(model, "instance_type", None)  # a simple-history model
        if _concrete(model) and _is_scoped(model):
            has_token = any(f.name == "token_hash" for f in model._meta.concrete_fields)
            tables.append(Table(model._meta.db_table, token=has_token))
            tables.extend(_through_tables(model))
        elif original is not None and _is_scoped(original):
            tables.append(Table(model._meta.db_table))
        elif original is not None and original._meta.auto_created:
            # simple-history's copy of a many-to-many table: scoped by its history row.
            owner = original._meta.auto_created
            if _is_scoped(owner):
                history = model._meta.get_field("history")
                tables.append(
                    Table(
                        model._meta.db_table,
                        parent_table=history.related_model._meta.db_table,
                        parent_column=history.related_model._meta.pk.column,
                        column=history.column,
                    )
                )
    return sorted(set(tables))
