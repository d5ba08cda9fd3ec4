"""Row locks for services that read a row and then write it (docs/architecture.md, "Where
logic lives"): no lost update.

A service that decides from a row it will write takes the row with
`select_for_update()` inside its transaction, so a second writer waits until the first
committed and then decides from what the first wrote. An edit that arrives with an
object read earlier (a PATCH, an edit form) goes through `lock_for_update`: it locks the
row and takes every column the caller did not change from the locked row, so a field
that someone else changed in between is kept, never silently reverted by a stale copy.

Lock order, to avoid deadlocks: a migration before its rows, a port order before its
steps, a cutover plan before its steps, and several rows of one table by primary key."""

from __future__ import annotations

import copy
from collections.abc import Iterable


def field_values(instance) -> dict:
    """The instance's column values by attname (for `changed_fields` later)."""
    return {
        field.attname: copy.copy(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
    }


def changed_fields(instance, before: dict) -> set[str]:
    """The names of the columns whose value differs from `before` (`field_values`)."""
    return {
        field.name
        for field in instance._meta.concrete_fields
        if field.attname in before and getattr(instance, field.attname) != before[field.attname]
    }


def lock_for_update(instance, *, changed: Iterable[str] | None = None):
    """Lock the instance's row (inside the caller's transaction). With `changed` (field
    names or attnames), every other column is refreshed from the locked row, so the save
    that follows writes the caller's changes on top of what others committed meanwhile.
    Without it, the instance is kept whole (the caller read it under this lock, or owns
    every column). Returns the instance."""
    model = type(instance)
    current = model._base_manager.select_for_update().get(pk=instance.pk)
    if changed is None:
        return instance
    keep = set(changed)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in keep or field.attname in keep:
            continue
        value = getattr(current, field.attname)
        if getattr(instance, field.attname) == value:
            continue
        # Through __dict__: a protected django-fsm state field refuses setattr, and the
        # state here is not changed by the caller but brought up to date.
        instance.__dict__[field.attname] = value
        if field.is_relation and field.is_cached(instance):
            field.delete_cached_value(instance)
    # django-fsm's ConcurrentTransitionMixin compares with the state it loaded: the
    # state just refreshed is the one the save must expect.
    update_initial_state = getattr(instance, "_update_initial_state", None)
    if update_initial_state is not None:
        update_initial_state()
    return instance


def carry_shown_values(form) -> None:
    """Make each field of an edit form carry the value the page showed (Django's hidden
    initial), so `changed_data` is what the user changed, not what differs from a row
    someone else changed after the page loaded. Never for a write-only field (a password
    input: its value must not reach the page) or a file."""
    from django import forms
    from django.core.exceptions import FieldDoesNotExist

    from .fields import EncryptedTextField

    model = getattr(getattr(form, "_meta", None), "model", None)
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.PasswordInput | forms.FileInput):
            continue
        try:
            if model is not None and isinstance(model._meta.get_field(name), EncryptedTextField):
                continue  # a secret, whatever its widget
        except FieldDoesNotExist:
            pass
        field.show_hidden_initial = True
