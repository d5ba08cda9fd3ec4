"""Cutover orchestration: the plan and its waves, the dated steps Celery runs from each
FOC, network readiness per site, and per-endpoint pre-flight checklists (docs/cutover.md).
Go/no-go decisions and the rollback plan build on these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy import clock
from tenancy.roles import ON_SITE
from tenancy.scoping import OrgScopedModel


class CutoverPlan(OrgScopedModel):
    """How a migration cuts over: flash cut, phased rollout or parallel run
    (docs/domain-rules.md "Cutover models")."""

    class Model(models.TextChoices):
        FLASH = "flash", "Flash cut"
        PHASED = "phased", "Phased rollout"
        PARALLEL = "parallel", "Parallel run"

    migration = models.OneToOneField(
        "customers.Migration", on_delete=models.CASCADE, related_name="cutover_plan"
    )
    model = models.CharField(max_length=10, choices=Model.choices, default=Model.PHASED)
    per_day_cap = models.PositiveIntegerField(
        default=5, help_text="Most numbers to port on one business day (phased)."
    )
    has_sbc = models.BooleanField("Has an SBC", default=False)
    business_hours_start = models.TimeField(default="08:00")
    business_hours_end = models.TimeField(default="18:00")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    @classmethod
    def new_for(cls, migration) -> CutoverPlan:
        """An unsaved plan with the organization's default business hours (read from the
        database: the organization object at hand may predate a settings change)."""
        opens, closes = (
            type(migration.organization)
            .objects.filter(pk=migration.organization_id)
            .values_list("business_hours_start", "business_hours_end")
            .get()
        )
        return cls(migration=migration, business_hours_start=opens, business_hours_end=closes)

    def __str__(self):
        return f"{self.get_model_display()} plan for {self.migration}"


class Wave(OrgScopedModel):
    """A batch that cuts over together, with its window."""

    plan = models.ForeignKey(CutoverPlan, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    site = models.ForeignKey(
        "sites.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The site whose time zone the window is judged in.",
    )  # fmt: skip
    numbers = models.ManyToManyField("porting.PhoneNumber", blank=True, related_name="waves")
    endpoints = models.ManyToManyField("sites.Endpoint", blank=True, related_name="waves")
    port_orders = models.ManyToManyField("porting.PortOrder", blank=True, related_name="waves")
    history = HistoricalRecords(m2m_fields=[numbers, endpoints, port_orders])

    org_parents = ("plan",)
    fixed_parents = ("plan",)

    class Meta:
        ordering = ["plan", "window_start", "pk"]

    def __str__(self):
        return self.name


class Forwarding(OrgScopedModel):
    """A ported number forwarded to the old system for 24 hours after the snap."""

    number = models.ForeignKey("porting.PhoneNumber", on_delete=models.CASCADE,
                               related_name="forwardings")  # fmt: skip
    forward_to = models.CharField(max_length=40)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords()

    org_parents = ("number",)
    fixed_parents = ("number",)


class Step(OrgScopedModel):
    """A dated step of the cutover, from an order's FOC (-7 days to +30 days) or a site's
    port (933 test at +60 min). Celery marks it due on time and escalates it when late."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DUE = "due", "Due"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        OVERDUE = "overdue", "Overdue"
        CANCELLED = "cancelled", "Cancelled"

    # Technicians make the 933 test and the test calls: they may mark steps done too.
    write_roles = ON_SITE

    plan = models.ForeignKey(CutoverPlan, on_delete=models.CASCADE, related_name="steps")
    port_order = models.ForeignKey(
        "porting.PortOrder", on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    site = models.ForeignKey(
        "sites.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    offset_minutes = models.IntegerField(help_text="Minutes from the FOC (negative: before).")
    due_at = models.DateTimeField(db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    notified_due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    skip_reason = models.CharField(max_length=300, blank=True)
    evidence = models.TextField(blank=True)
    history = HistoricalRecords()

    org_parents = ("plan", "port_order", "site")
    fixed_parents = ("plan",)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "port_order", "site", "code"], name="cutover_one_step_per_code"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"{self.title} ({self.due_at:%Y-%m-%d %H:%M} UTC)"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class NetworkAssessment(OrgScopedModel):
    """A site's network readiness: bandwidth against measured upstream, measured jitter,
    loss and latency, QoS markings, and the sign-off by the IT lead and the vendor."""

    class Codec(models.TextChoices):
        G711 = "g711", "G.711"
        G729 = "g729", "G.729"
        OPUS = "opus", "Opus"

    site = models.OneToOneField("sites.Site", on_delete=models.CASCADE, related_name="network")
    peak_concurrent_calls = models.PositiveIntegerField(default=0)
    codec = models.CharField(max_length=6, choices=Codec.choices, default=Codec.G711)
    upstream_kbps = models.PositiveIntegerField(null=True, blank=True)
    downstream_kbps = models.PositiveIntegerField(null=True, blank=True)
    jitter_ms = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    loss_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    latency_ms = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    test_days = models.PositiveIntegerField(default=0, help_text="Length of the readiness test.")
    dscp_voice_ef = models.BooleanField("Voice marked EF (46)", default=False)
    dscp_signaling_cs3 = models.BooleanField("Signaling marked CS3 (24)", default=False)
    voice_reservation_percent = models.PositiveIntegerField(default=0)
    poe_confirmed = models.BooleanField("PoE for desk phones", default=False)
    it_lead_signed_by = models.CharField(max_length=200, blank=True)
    it_lead_signed_at = models.DateTimeField(null=True, blank=True)
    vendor_signed_by = models.CharField(max_length=200, blank=True)
    vendor_signed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    org_parents = ("site",)
    fixed_parents = ("site",)


class Preflight(OrgScopedModel):
    """An endpoint's pre-flight checklist as a technician completed it."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    # Technicians complete checklists.
    write_roles = ON_SITE

    endpoint = models.OneToOneField("sites.Endpoint", on_delete=models.CASCADE,
                                    related_name="preflight")  # fmt: skip
    checks = models.JSONField(default=dict, blank=True, help_text="{check: {ok, note}}")
    test_calls = models.JSONField(default=list, blank=True, help_text="[{line, result}]")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    org_parents = ("endpoint",)
    fixed_parents = ("endpoint",)


class ChecklistJob(OrgScopedModel):
    """A Celery job rendering pre-flight checklists (a site or a migration) as one PDF.

    The row is the job's outbox and its lease (cutover/preflight/jobs.py): `sent_at` says
    when it was last handed to the broker (none yet: the broker was down), `attempts` how
    many times a worker took it, and `heartbeat_at` is refreshed by the worker while it
    runs. The beat sweep re-sends a queued job the broker lost and retries, or fails, a
    running one whose heartbeat stopped (docs/operations.md)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    migration = models.ForeignKey("customers.Migration", on_delete=models.CASCADE,
                                  related_name="checklist_jobs")  # fmt: skip
    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")  # fmt: skip
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    pdf = models.FileField(upload_to="checklists/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Where the QR codes point (the requesting host, taken when the job was started), so
    # that a job the sweep sends again prints the same links.
    base_url = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker took it.")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )
    # Who asked for which checklists, and why; the render's progress (and the lease) is
    # written to the row itself, not to its history.
    history = HistoricalRecords()

    org_parents = ("migration", "site")
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "sent_at"], name="checklistjob_status_sent")]

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED


class SignOff(OrgScopedModel):
    """A manual item of the go/no-go checklist, signed off (or deferred) by a person,
    with a note. The latest row per item counts."""

    class Item(models.TextChoices):
        PILOT_ISSUES = "pilot_issues", "Pilot issues resolved or explicitly deferred"
        QOS_FIREWALL = "qos_firewall", "QoS and firewall rules validated (signaling and RTP)"
        NUMBERING = "numbering", "Numbering, caller ID and routing confirmed"
        ROLLBACK_CONSOLES = "rollback_consoles", "Rollback verified with access to the consoles"
        SUPPORT = "support", "Support coverage and escalation set for the window"

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="go_signoffs"
    )
    item = models.CharField(max_length=30, choices=Item.choices)
    confirmed = models.BooleanField(default=True)
    deferred = models.BooleanField(default=False, help_text="Explicitly deferred (pilot issues).")
    note = models.CharField(max_length=500, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    signed_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["migration", "item", "-signed_at", "-pk"]


class GoNoGoDecision(OrgScopedModel):
    """The recorded decision: go or no-go, who, when, why, and the computed items as they
    stood (a "go" over failing items needs an owner's override reason)."""

    class Decision(models.TextChoices):
        GO = "go", "Go"
        NO_GO = "no_go", "No-go"

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="go_decisions"
    )
    decision = models.CharField(max_length=6, choices=Decision.choices)
    reason = models.CharField(max_length=1000)
    override_reason = models.CharField(max_length=1000, blank=True)
    snapshot = models.JSONField(default=list, help_text="The items and their states.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["-decided_at", "-pk"]

    @property
    def is_go(self) -> bool:
        return self.decision == self.Decision.GO


class RollbackStep(OrgScopedModel):
    """One ordered step of a migration's rollback plan. Decommissioning the old trunk and
    cancelling the old carrier account cannot be done before their time."""

    class Kind(models.TextChoices):
        GENERAL = "general", "General"
        DECOMMISSION_TRUNK = "decommission_trunk", "Decommission the old PSTN trunk"
        CANCEL_ACCOUNT = "cancel_account", "Cancel the old carrier account"

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="rollback_steps"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    port_order = models.ForeignKey(
        "porting.PortOrder", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    carrier_account = models.ForeignKey(
        "porting.CarrierAccount", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    org_parents = ("migration", "port_order", "carrier_account")
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["migration", "position", "pk"]
