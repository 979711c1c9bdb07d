"""Import runs: what came in, what was planned, what was applied, what looked wrong."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from entaix.common.models import BaseModel
from imports.problems import TEXTS
from schools.kinds import RecordKind


class ImportRun(BaseModel):
    class Status(models.TextChoices):
        PLANNING = "planning", _("planning")
        PLANNED = "planned", _("planned")
        HELD = "held", _("held for review")
        APPLYING = "applying", _("applying")
        APPLIED = "applied", _("applied")
        DISCARDED = "discarded", _("discarded")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("command line")
        SCHEDULE = "schedule", _("morning schedule")
        MANUAL = "manual", _("city staff")
        RECONCILE = "reconcile", _("school opened or closed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    feed_date = models.DateField(_("feed date"), null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=10, blank=True)  # Complet / Delta
    # The run whose state the plan was computed against; apply refuses if another run applied since.
    base_run = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A changeover approved for some schools only: the held rest of the plan, as a run of its
    # own, points to the run that applied the chosen schools.
    split_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="remainders",
        verbose_name=_("held part of"),
    )  # fmt: skip
    plan_hash = models.CharField(_("plan hash"), max_length=64, blank=True)
    held_reasons = models.JSONField(_("held reasons"), default=list, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    school_counts = models.JSONField(_("counts per school"), default=dict, blank=True)
    # ENT accounts created / deactivated / reactivated by this run (accounts.services).
    account_counts = models.JSONField(_("accounts"), default=dict, blank=True)
    record_counts = models.JSONField(_("records per kind"), default=dict, blank=True)
    # Delta modifies and deletes of persons of closed schools, per kind (a rollout's normal).
    skipped_counts = models.JSONField(_("skipped (closed schools)"), default=dict, blank=True)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    # Failed for a passing reason (the database connection lost, a run abandoned): it can be
    # resumed without a new approval, if its plan still applies to the same base.
    retryable = models.BooleanField(_("can be resumed"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.feed_date} {self.mode} ({self.status})"


class ImportFile(BaseModel):
    """A file of the feed. Fetched files wait with no run until their set is complete."""

    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    fetch = models.ForeignKey(
        "FetchAttempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="files"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20)
    mode = models.CharField(_("mode"), max_length=10)
    feed_date = models.DateField(_("feed date"))
    part = models.PositiveSmallIntegerField(_("part"), default=0)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("local path"), max_length=500)
    fetched_at = models.DateTimeField(_("fetched at"), null=True, blank=True)
    # The raw file is deleted after AAF_INBOX_RETENTION_DAYS: the convention allows no other use.
    purged_at = models.DateTimeField(_("raw file deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["run", "name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="importfile_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportProblem(models.Model):
    class Level(models.TextChoices):
        ERROR = "error", _("error")
        WARNING = "warning", _("warning")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    level = models.CharField(_("level"), max_length=7, choices=Level.choices)
    code = models.CharField(_("code"), max_length=50)
    file = models.CharField(_("file"), max_length=200, blank=True)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    identifier = models.CharField(_("identifier"), max_length=64, blank=True)
    school_key = models.CharField(_("school"), max_length=64, blank=True, db_index=True)
    message = models.TextField(_("message"))

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.level} {self.code} {self.identifier}"

    @property
    def display_message(self) -> str:
        """The message as shown: the kept sentence of a decided run translated, else as is."""
        return gettext(self.message) if self.message in TEXTS else self.message


class ImportPlanItem(models.Model):
    """One change of the stored plan. Apply replays exactly these rows (checked by the hash)."""

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        LEAVE = "leave", _("leave")
        RETURN = "return", _("return")

    # No index of its own: the unique (run, seq) one serves every lookup by run, and each
    # index is written for every item stored and again when its values are dropped.
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="plan_items", db_index=False
    )
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    key = models.CharField(_("key"), max_length=200)
    school_key = models.CharField(_("school"), max_length=64, blank=True)
    # The fields to write: all of them for a create, only the changed ones for an update.
    data = models.JSONField(_("data"), default=dict, blank=True)
    # The whole record's digest once applied (the row's feed_digest); NULL for a leave.
    digest = models.BigIntegerField(_("digest"), null=True, blank=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="planitem_unique_seq"),
        ]
        indexes = [models.Index(fields=["run", "school_key"])]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.key}"


# Why a fetch failed, by its error code, in the reader's language (the stored `message` is the
# technical detail, in English, for the IT administrators).
FETCH_FAILURE_REASONS = {
    "sftp-not-configured": _("SFTP is not configured (SFTP_… settings)"),
    "config": _("the city's SFTP key or known_hosts file cannot be used"),
    "host-key": _("the server's host key does not match the pinned one"),
    "auth": _("the server refused the city's key"),
    "connect": _("the server could not be reached"),
    "transfer": _("a file transfer failed"),
    "size-mismatch": _("a downloaded file does not have the announced size"),
    "convention-terminated": _("the convention with the Académie has ended"),
}


class FetchAttempt(BaseModel):
    """One connection to the Académie's SFTP server (scheduled or asked for)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FETCHED = "fetched", _("new files fetched")
        NOTHING = "nothing", _("nothing new")
        FAILED = "failed", _("failed")
        DRY_RUN = "dry-run", _("listed only")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    trigger = models.CharField(_("trigger"), max_length=10, choices=ImportRun.Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    code = models.CharField(_("error code"), max_length=20, blank=True)
    message = models.TextField(_("message"), blank=True)
    listing = models.JSONField(_("remote files"), default=list, blank=True)
    run_ids = models.JSONField(_("import runs started"), default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("fetch attempt")
        verbose_name_plural = _("fetch attempts")

    def __str__(self) -> str:
        return f"fetch #{self.pk} ({self.status})"

    @property
    def reason(self) -> str:
        """Why it failed, translated; empty unless it failed."""
        if self.status != self.Status.FAILED:
            return ""
        return str(FETCH_FAILURE_REASONS.get(self.code, _("unexpected error")))


class DeliveryAlert(BaseModel):
    """No complete file set by the cut-off: shown in the portal and e-mailed to the city."""

    class Code(models.TextChoices):
        MISSING = "missing", _("no file arrived")
        INCOMPLETE = "incomplete", _("the file set is incomplete")
        FETCH_FAILED = "fetch-failed", _("the SFTP server could not be reached")

    date = models.DateField(_("date"), unique=True)
    code = models.CharField(_("problem"), max_length=12, choices=Code.choices)
    message = models.TextField(_("message"))
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.code}"


class CityPersonImport(BaseModel):
    """A CSV of people outside the feed (ATSEM, after-school staff…) as the school service
    uploaded it: checked row by row, then applied whole or discarded (imports/city/).

    The parsed cells (names, e-mails) are kept only until the file is applied or discarded, or
    expires unapplied; the findings keep line, column and code, never a cell's value."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("checked, awaiting a decision")
        APPLIED = "applied", _("applied")
        DISCARDED = "discarded", _("discarded")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CHECKED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=4, blank=True)
    rows = models.JSONField(_("rows"), default=list, blank=True)  # [{"line", "cells"}], transient
    findings = models.JSONField(_("findings"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    warnings_approved = models.BooleanField(_("warnings approved"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # {"created": [staff ids], "updated": [staff ids], "accounts": account_sync's counts}
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import of people outside the feed")
        verbose_name_plural = _("imports of people outside the feed")

    def __str__(self) -> str:
        return f"city person import #{self.pk} ({self.status})"
