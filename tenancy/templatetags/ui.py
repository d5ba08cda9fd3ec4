"""Template helpers every page shares: object URLs, the one way a telephone number is shown
(`phone`), and the one mapping from a state or a status to how it is shown (a badge's
tone), so that no template compares state strings to pick a colour."""

from django import template
from django.utils.html import format_html

from tenancy.phone import shown

register = template.Library()

# How a state, status or severity reads at a glance. Keys are the stored values (and the
# words the check items use); anything else is neutral.
TONES = {
    "ok": (
        "ok", "passed", "pass", "signed", "active", "validated", "normalized", "done",
        "complete", "go", "past", "confirmed", "ported", "live", "valid", "ready",
    ),
    "bad": (
        "blocking", "blocker", "failed", "fail", "overdue", "rejected", "port_failed",
        "no_go", "mismatch", "invalid", "missing", "not ready",
    ),
    "warn": (
        "warning", "in_progress", "in progress", "pending", "due", "draft", "superseded",
        "loa_pending", "loa_submitted", "queued", "running", "unverified", "expired",
        "revoked",
    ),
    "info": ("upcoming", "foc_received", "port_day", "porting", "legacy", "not_started"),
    "muted": ("cancelled", "skipped", "not required", "used", "unknown"),
}  # fmt: skip
_TONE_OF = {value: tone for tone, values in TONES.items() for value in values}


@register.filter
def ui_url(obj, action):
    return obj.ui_url(action)


@register.filter
def verbose_name(model):
    return model._meta.verbose_name


@register.filter
def phone(value) -> str:
    """`{{ n.number|phone }}`: a telephone number as every page and PDF shows it, "(720)
    555-0100" (tenancy/phone.py). Links and form values keep E.164."""
    return shown(value)


@register.filter
def tone(value) -> str:
    """The badge class for a state, status or severity: "badge-ok", "badge-bad", …"""
    if value is True:
        return "badge-ok"
    if value is False:
        return "badge-bad"
    return f"badge-{_TONE_OF.get(str(value), 'muted')}"


@register.simple_tag
def badge(value, label=None, **attrs):
    """`{% badge order.state order.get_state_display %}`: a badge in the value's tone,
    showing `label` (default: the value with underscores as spaces)."""
    shown = label if label is not None else str(value).replace("_", " ")
    extra = "".join(f' {name.replace("_", "-")}="{{}}"' for name in attrs)
    return format_html(
        '<span class="badge {}"' + extra + ">{}</span>", tone(value), *attrs.values(), shown
    )


@register.simple_tag(takes_context=True)
def sort_th(context, key, label, css=""):
    """A list's column heading that sorts by `key` (OrgListView.sort_fields): a click
    sorts ascending, a second click descending; the current order shows an arrow."""
    current = context.get("sort", "")
    if key not in context.get("sort_fields", {}):
        return format_html('<th class="{}">{}</th>', css, label)
    query = context.get("unsorted_querystring", "")
    next_sort = f"-{key}" if current == key else key
    href = f"?{query}&sort={next_sort}" if query else f"?sort={next_sort}"
    state = {key: ("ascending", " ▲"), f"-{key}": ("descending", " ▼")}.get(current)
    aria, arrow = state or ("none", "")
    return format_html(
        '<th class="{}" aria-sort="{}"><a class="sort" href="{}">{}{}</a></th>',
        css, aria, href, label, arrow,
    )  # fmt: skip
