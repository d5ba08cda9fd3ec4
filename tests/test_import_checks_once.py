"""The inventory import checks each telephone number once (docs/performance.md): the
number it parsed and checked is what it stores, so phonenumber_field does not validate it
again for the row, its history row and the lookup of numbers already taken. Everything
is still checked: a bad number still refuses the import."""

from unittest import mock

import phonenumbers
import pytest

from inventory.services import import_inventory
from porting.models import PhoneNumber

from .test_import import NUMBER_HEADER, csv_of, number_row


def _numbers(count):
    rows = [number_row(f"+1512555{n:04d}", purpose="main_line", site="Dallas HQ")
            for n in range(100, 100 + count)]  # fmt: skip
    rows.append(number_row("(888) 555-0199", purpose="main_line", site="Dallas HQ"))
    return csv_of(NUMBER_HEADER, *rows)


@pytest.mark.django_db
def test_each_number_is_checked_once_and_stored_as_checked(world_a, pm_a):
    counted = mock.patch.object(phonenumbers, "is_valid_number", wraps=phonenumbers.is_valid_number)
    with counted as is_valid:
        report = import_inventory(world_a["migration"], numbers=_numbers(20), by=pm_a)
    assert report.ok and report.created["numbers"] == 21
    # Once each while checking the file; before, eight times each (the lookup of numbers
    # already taken, the row, its history row and its kind, some of them twice).
    assert is_valid.call_count == 21
    stored = PhoneNumber.objects.filter(migration=world_a["migration"], site__isnull=False)
    assert sorted(n.number.as_e164 for n in stored) == sorted(
        [f"+1512555{n:04d}" for n in range(100, 120)] + ["+18885550199"]
    )
    assert stored.get(number="+18885550199").kind == PhoneNumber.Kind.TOLL_FREE
    assert stored.get(number="+15125550100").kind == PhoneNumber.Kind.LOCAL
    history = PhoneNumber.history.filter(migration_id=world_a["migration"].pk)
    assert history.filter(number="+15125550100").count() == 1


@pytest.mark.django_db
def test_a_bad_number_still_refuses_the_import(world_a, pm_a):
    numbers = csv_of(NUMBER_HEADER, number_row("+15125550100", site="Dallas HQ"),
                     number_row("(555) 555-0100", site="Dallas HQ"))  # fmt: skip
    report = import_inventory(world_a["migration"], numbers=numbers, by=pm_a)
    assert not report.ok and report.created["numbers"] == 0
    assert any(e.column == "number" and e.row == 3 for e in report.errors)
    # And a number already in the organization is still found (the lookup of taken ones).
    f_report = import_inventory(world_a["migration"], numbers=_numbers(1), by=pm_a)
    assert f_report.ok
    again = import_inventory(world_a["migration"], numbers=_numbers(1), by=pm_a)
    assert not again.ok and "already in this migration" in again.errors[0].message
