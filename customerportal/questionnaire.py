"""The site questionnaire: answers saved as drafts, checked on submission by the same
all-or-nothing import service as the CSV import, accepted into the inventory by the PM.

People become endpoints (and their DIDs numbers) through `inventory.services`
`import_inventory`, exactly as a CSV file would: the same rules, the same per-row
errors, mapped back to the questionnaire's rows."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction

from e911.remote.services import add_remote_worker, send_location_link
from inventory.services import import_inventory
from sites.models import Endpoint
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.notify import email_after_commit
from tenancy.roles import OWNER_PM, require_role

from .models import Questionnaire
from .services import live

PERSON_FIELDS = ("name", "extension", "did", "kind", "remote", "email")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUTING = {
    "voicemail": "To the main voicemail box",
    "answering_service": "To an answering service",
    "forward": "Forwarded to a number",
    "ring_on": "Ring as in business hours",
}
# Which questionnaire column an import error's CSV column is reported in.
COLUMN_OF = {
    ("endpoints", "display_name"): "name", ("endpoints", "extension"): "extension",
    ("endpoints", "kind"): "kind", ("endpoints", "remote_worker"): "remote",
    ("endpoints", "user_email"): "email", ("numbers", "number"): "did",
    ("numbers", "endpoint_extension"): "extension",
}  # fmt: skip


class QuestionnaireRefused(ValidationError):
    """Submission refused: `rows` maps a questionnaire row (1-based) to its errors by
    column; `general` are errors not tied to a row."""

    def __init__(self, rows: dict, general: list[str]):
        super().__init__([m for errs in rows.values() for m in errs.values()] + general)
        self.rows, self.general = rows, general


def clean_answers(data) -> dict:
    """The answers as posted (a QueryDict), normalized; nothing is refused here."""
    people = []
    names = {f: data.getlist(f"person_{f}") for f in PERSON_FIELDS if f != "remote"}
    remote = set(data.getlist("person_remote"))
    for i in range(len(names["name"])):
        row = {f: (names[f][i] if i < len(names[f]) else "").strip()[:200]
               for f in PERSON_FIELDS if f != "remote"}  # fmt: skip
        row["remote"] = str(i) in remote
        if any(v for k, v in row.items() if k != "kind") or row["remote"]:
            people.append(row)
    return {
        "people": people,
        "hunt_groups": data.get("hunt_groups", "").strip()[:4000],
        "hours": {d: data.get(f"hours_{d}", "").strip()[:40] for d in DAYS},
        "holidays": data.get("holidays", "").strip()[:2000],
        "after_hours": data.get("after_hours", "") if data.get("after_hours") in ROUTING else "",
        "after_hours_number": data.get("after_hours_number", "").strip()[:40],
    }


def _csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _files(site, people) -> tuple[str, str | None, list[int]]:
    """The endpoints and numbers CSV of the people, and which person each number row is."""
    endpoints = _csv(
        ["site", "kind", "extension", "display_name", "user_email", "remote_worker"],
        [[site.name, p.get("kind") or "desk_phone", p["extension"], p["name"], p["email"],
          "yes" if p["remote"] else "no"] for p in people],
    )  # fmt: skip
    with_did = [i for i, p in enumerate(people) if p["did"]]
    numbers = _csv(
        ["number", "purpose", "site", "endpoint_extension"],
        [[people[i]["did"], "user_did", site.name, people[i]["extension"]] for i in with_did],
    ) if with_did else None  # fmt: skip
    return endpoints, numbers, with_did


def check(site, answers, *, migration) -> None:
    """Raise QuestionnaireRefused with every problem, or return: nothing is written."""
    people = answers.get("people", [])
    rows, general = {}, []
    for i, person in enumerate(people, start=1):
        if not person["name"]:
            rows.setdefault(i, {})["name"] = "Give the person's name."
        if person["remote"] and not person["email"]:
            rows.setdefault(i, {})["email"] = (
                "A remote worker needs an email: their 911 address link goes there."
            )
    if not people:
        general.append("List at least one person and their phone.")
    if answers.get("after_hours") == "forward" and not answers.get("after_hours_number"):
        general.append("Give the number after-hours calls are forwarded to.")
    endpoints, numbers, with_did = _files(site, people)
    report = import_inventory(migration, endpoints=endpoints, numbers=numbers, dry_run=True)
    for error in report.errors:
        if error.row is None:
            general.append(error.message)
            continue
        index = error.row - 1 if error.file == "endpoints" else with_did[error.row - 2] + 1
        column = COLUMN_OF.get((error.file, error.column), "name")
        rows.setdefault(index, {}).setdefault(column, error.message)
    if rows or general:
        raise QuestionnaireRefused(rows, general)


def _locked(link, site) -> Questionnaire:
    questionnaire, _ = Questionnaire.objects.select_for_update().get_or_create(
        migration=link.migration, site=site,
        defaults={"organization_id": link.organization_id},
    )  # fmt: skip
    if questionnaire.status != Questionnaire.Status.DRAFT:
        raise ValidationError(
            "This questionnaire was submitted: ask your project manager to change it."
        )
    return questionnaire


@transaction.atomic
def save_draft(link, site, answers) -> Questionnaire:
    link = live(link)
    questionnaire = _locked(link, site)
    questionnaire.answers = answers
    questionnaire.last_saved_by_name = link.name
    return save_with_history(questionnaire, reason=f"draft saved by {link.name}")


def submit(link, site, answers) -> Questionnaire:
    """Save the answers (a refused submission keeps them as a draft), check them, and
    submit them for the PM's review."""
    questionnaire = save_draft(link, site, answers)
    check(site, answers, migration=link.migration)
    with transaction.atomic():
        link = live(link)
        questionnaire = _locked(link, site)
        questionnaire.status = Questionnaire.Status.SUBMITTED
        questionnaire.submitted_by_name = link.name
        questionnaire.submitted_at = clock.now()
        save_with_history(questionnaire, reason=f"submitted by {link.name}")
        owner = link.migration.owner
        if owner is not None and owner.email:
            subject = f"Questionnaire submitted: {site.name} ({link.migration.name})"
            body = (f"{link.name} submitted the questionnaire for {site.name}: "
                    f"{len(answers['people'])} people. Review and accept it on the "
                    "migration's Customer portal page.")  # fmt: skip
            email_after_commit(subject, body, [owner.email])
    return questionnaire


@transaction.atomic
def accept(questionnaire, *, by, base_url) -> Questionnaire:
    """Import the people into the inventory (all or nothing, recorded as coming from the
    customer's submission), then send each remote worker their home-address link."""
    require_role(questionnaire.organization_id, by, OWNER_PM, "Accepting a questionnaire")
    questionnaire = Questionnaire.objects.select_for_update().select_related(
        "site", "migration"
    ).get(pk=questionnaire.pk)  # fmt: skip
    if questionnaire.status != Questionnaire.Status.SUBMITTED:
        raise ValidationError(
            f"This questionnaire is {questionnaire.get_status_display().lower()}."
        )
    people = questionnaire.people
    endpoints, numbers, _ = _files(questionnaire.site, people)
    reason = (
        f"from the customer's questionnaire for {questionnaire.site.name}, submitted by "
        f"{questionnaire.submitted_by_name} on {questionnaire.submitted_at:%Y-%m-%d}"
    )
    report = import_inventory(questionnaire.migration, endpoints=endpoints, numbers=numbers,
                              by=by, reason=reason)  # fmt: skip
    if not report.ok:
        raise ValidationError(
            "The inventory changed since it was submitted: "
            + "; ".join(e.as_line() for e in report.errors)
        )
    for person in people:
        if person["remote"] and person["email"]:
            endpoint = Endpoint.objects.filter(site=questionnaire.site,
                                               extension=person["extension"]).first()  # fmt: skip
            worker = add_remote_worker(
                questionnaire.migration, name=person["name"], email=person["email"],
                endpoints=[endpoint] if endpoint else [], by=by, reason=reason,
            )  # fmt: skip
            send_location_link(worker, by=by, base_url=base_url)
    questionnaire.status = Questionnaire.Status.ACCEPTED
    questionnaire.accepted_at, questionnaire.accepted_by = clock.now(), by
    return save_with_history(questionnaire, by=by, reason=f"accepted into the inventory: {reason}")
