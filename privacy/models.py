"""Data-protection records: requests and their handling, exports, rectifications, holds, purges.

Their tables were `accounts_*` until the move into this app (migration 0002 renames them).
Their `__str__` never shows a name or an e-mail: logs and audit entries carry ids only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entaix.common.models import BaseModel
from entaix.common.storage import private_storage
from schools.kinds import PersonKind

__all__ = [
    "AccessExport",
    "DataRequest",
    "DataRequestNote",
    "DataRequestSubject",
    "LegalHold",
    "PurgeReceipt",
    "PurgeRun",
    "RectificationTask",
]


class PersonRefModel(BaseModel):
    """A row about one person of the directory: exactly one of pupil / guardian / staff."""

    person_kind = models.CharField(_("person kind"), max_length=10, choices=PersonKind.choices)
    pupil = models.ForeignKey(
        "schools.Pupil", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    guardian = models.ForeignKey(
        "schools.Guardian", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        "schools.Staff", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def person(self):
        return getattr(self, self.person_kind, None)

    @property
    def person_id(self) -> int | None:
        return getattr(self, f"{self.person_kind}_id", None)


def _one_person(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(
            Q(person_kind="pupil", pupil__isnull=False, guardian__isnull=True, staff__isnull=True)
            | Q(person_kind="guardian", pupil__isnull=True, guardian__isnull=False)
            & Q(staff__isnull=True)
            | Q(person_kind="staff", pupil__isnull=True, guardian__isnull=True)
            & Q(staff__isnull=False)
        ),
        name=name,
    )


class DataRequest(BaseModel):
    """A request about personal data, filed on the public form (or typed in by the DPO).

    The answer is due one calendar month after receipt; an extension to three months needs a
    recorded reason and a notice to the requester before the first month ends.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("access to the data")
        RECTIFICATION = "rectification", _("rectification")
        OPPOSITION = "opposition", _("opposition")
        ERASURE = "erasure", _("erasure")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        IDENTITY_CHECK = "identity-check", _("identity check")
        IN_PROGRESS = "in-progress", _("in progress")
        EXTENDED = "extended", _("extended")
        ANSWERED = "answered", _("answered")
        REJECTED = "rejected", _("rejected")

    class Relation(models.TextChoices):
        PARENT = "parent", _("parent or legal guardian of the child")
        STAFF = "staff", _("staff member, about myself")
        OTHER = "other", _("other (explain below)")

    class Flag(models.TextChoices):
        NONE = "", _("none")
        NOT_GUARDIAN = "not-guardian", _("requester is not a legal guardian of the child")

    class Decision(models.TextChoices):
        NONE = "", _("no decision yet")
        GRANTED = "granted", _("granted")
        PARTLY = "partly", _("partly granted")
        REFUSED = "refused", _("refused")

    class LegalGround(models.TextChoices):
        NONE = "", _("none")
        PUBLIC_TASK = (
            "art-6-1-e",
            _("Task in the public interest (GDPR art. 6(1)(e), Education Code)"),
        )
        LEGAL_OBLIGATION = (
            "art-17-3-b",
            _("Legal obligation or public-interest task (GDPR art. 17(3)(b))"),
        )
        LEGAL_CLAIMS = (
            "art-17-3-e",
            _("Establishment or defence of legal claims (GDPR art. 17(3)(e))"),
        )
        COMPELLING = "art-21-1", _("Compelling legitimate grounds (GDPR art. 21(1))")
        ERASURE_DUE = (
            "art-17-1",
            _("Erasure due: data no longer needed or unlawfully processed (GDPR art. 17(1))"),
        )
        OPPOSITION_DUE = "art-21-granted", _("Opposition upheld (GDPR art. 21(1))")
        SOURCE_ONDE = (
            "source-onde",
            _("Data held by the Ministry (ONDE): forwarded to the school director"),
        )
        EXCESSIVE = "art-12-5", _("Manifestly unfounded or excessive (GDPR art. 12(5))")
        OTHER = "other", _("Other (explained in the answer)")

    OPEN = (Status.RECEIVED, Status.IDENTITY_CHECK, Status.IN_PROGRESS, Status.EXTENDED)

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("request"), max_length=15, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    # Who asks (entered by the person).
    requester_name = models.CharField(_("your name"), max_length=200)
    requester_email = models.EmailField(_("your e-mail address"))
    requester_phone = models.CharField(_("your phone (optional)"), max_length=30, blank=True)
    relation = models.CharField(_("you are"), max_length=10, choices=Relation.choices)
    # The child the request is about (parents), as the requester typed it.
    child_first_name = models.CharField(_("child's first name"), max_length=150, blank=True)
    child_last_name = models.CharField(_("child's last name"), max_length=150, blank=True)
    child_birth_date = models.DateField(_("child's birth date"), null=True, blank=True)
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    message = models.TextField(_("your request"), blank=True)
    attachment = models.FileField(
        _("attachment"), storage=private_storage, upload_to="gdpr/requests/", blank=True
    )
    attachment_type = models.CharField(_("attachment type"), max_length=30, blank=True)
    attachment_size = models.PositiveIntegerField(_("attachment size"), null=True, blank=True)
    attachment_deleted_at = models.DateTimeField(_("attachment deleted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted from the account"),
    )
    # Handling (entered by the DPO).
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledgement sent at"), null=True, blank=True)
    due_on = models.DateField(_("due on"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    identity_check_reason = models.TextField(_("reason for the identity check"), blank=True)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extension_notified_at = models.DateTimeField(
        _("extension notice sent at"), null=True, blank=True
    )
    flag = models.CharField(_("flag"), max_length=15, choices=Flag.choices, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    legal_ground = models.CharField(
        _("legal ground"), max_length=20, choices=LegalGround.choices, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    answer = models.TextField(_("answer sent"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    last_reminded_on = models.DateField(_("last reminder"), null=True, blank=True)
    # Set when the retention engine removed the personal data of a long-closed request.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def received_on(self):
        return timezone.localdate(self.received_at)


class DataRequestSubject(BaseModel):
    """A person of the directory a human confirmed the request is about (or made by)."""

    class Role(models.TextChoices):
        REQUESTER = "requester", _("the requester")
        CHILD = "child", _("a child of the requester")

    class Verification(models.TextChoices):
        """How the requester was tied to the directory record (a name never is)."""

        EMAIL_FEED = "email-feed", _("the request's e-mail is the one the feed holds")
        EMAIL_ACCOUNT = "email-account", _("the request's e-mail is the account's confirmed one")
        LOGGED_IN = "logged-in", _("sent from this person's own account")
        ID_DOCUMENT = "id-document", _("identity document checked")
        IN_PERSON = "in-person", _("seen in person at the school")

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="subjects")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    person_kind = models.CharField(_("person kind"), max_length=10, choices=PersonKind.choices)
    # SET_NULL: a person purged later leaves the register's row (without them) in place.
    pupil = models.ForeignKey(
        "schools.Pupil", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    guardian = models.ForeignKey(
        "schools.Guardian", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        "schools.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The requester's verification (role "requester" only): nothing is disclosed without it.
    verification_method = models.CharField(
        _("verification"), max_length=15, choices=Verification.choices, blank=True
    )
    verification_note = models.CharField(_("verification details"), max_length=200, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )

    class Meta:
        ordering = ["request", "role", "id"]
        verbose_name = _("data request subject")
        verbose_name_plural = _("data request subjects")

    def __str__(self) -> str:
        return f"subject #{self.pk} of request {self.request_id}"

    @property
    def person(self):
        return getattr(self, self.person_kind, None)

    @property
    def person_id(self) -> int | None:
        return getattr(self, f"{self.person_kind}_id", None)


class DataRequestNote(BaseModel):
    """An internal note of the DPO on a request; append-only."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("note"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"note #{self.pk} on request {self.request_id}"


class AccessExport(BaseModel):
    """The copy of the data given for an access request: a ZIP in private storage.

    The link e-mailed to the requester is signed and expires; `token_nonce` changes when a new
    export replaces this one, which kills the old link. Downloads are recorded.
    """

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="exports")
    file = models.FileField(_("file"), storage=private_storage, upload_to="gdpr/exports/")
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    token_nonce = models.CharField(_("link nonce"), max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("link expires at"))
    sent_at = models.DateTimeField(_("link sent at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    first_downloaded_at = models.DateTimeField(_("first downloaded at"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access export")
        verbose_name_plural = _("access exports")

    def __str__(self) -> str:
        return f"export #{self.pk} of request {self.request_id}"

    @property
    def is_live(self) -> bool:
        return (
            self.revoked_at is None
            and self.file_deleted_at is None
            and self.expires_at > timezone.now()
        )


class RectificationTask(PersonRefModel):
    """A correction of feed data: the school director corrects it in ONDE, the feed brings it.

    Closed automatically when an import shows the requested value (see
    `services.rectification_tasks_check`). The values are cleared when the task closes.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the correction in ONDE")
        DONE = "done", _("corrected")
        CANCELLED = "cancelled", _("cancelled")

    request = models.ForeignKey(
        DataRequest, on_delete=models.CASCADE, related_name="rectifications"
    )
    school = models.ForeignKey(
        "schools.School", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    field = models.CharField(_("field"), max_length=50)
    current_value = models.TextField(_("current value"), blank=True)
    requested_value = models.TextField(_("requested value"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    direct = models.BooleanField(_("corrected directly in entaix"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by_run = models.BigIntegerField(_("closed by import run"), null=True, blank=True)
    requester_notified_at = models.DateTimeField(
        _("requester told of the correction at"), null=True, blank=True
    )

    class Meta:
        ordering = ["status", "created_at", "id"]
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        constraints = [_one_person("rectification_one_person")]

    def __str__(self) -> str:
        return f"rectification #{self.pk} ({self.field})"


class LegalHold(PersonRefModel):
    """A person kept beyond the retention rule (a legal claim, a judicial request…)."""

    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            _one_person("legalhold_one_person"),
            *(
                models.UniqueConstraint(
                    fields=[kind],
                    condition=Q(lifted_at__isnull=True),
                    name=f"legalhold_one_active_{kind}",
                )
                for kind in ("pupil", "guardian", "staff")
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold #{self.pk} ({self.person_kind} {self.person_id})"


class PurgeRun(BaseModel):
    """One application of the retention rules, or the convention's termination.

    Holds counts only, never a name: it is the receipt (retention) or the destruction
    certificate (termination) that stays after the data are gone.
    """

    class Kind(models.TextChoices):
        RETENTION = "retention", _("retention purge")
        TERMINATION = "termination", _("convention termination")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("command line")
        SCHEDULE = "schedule", _("daily schedule")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    as_of = models.DateField(_("computed as of"))
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who ran it when no account did (the operating-system user of the command line).
    performed_by_label = models.CharField(_("performed by"), max_length=150, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    kept = models.JSONField(_("kept"), default=dict, blank=True)
    failure = models.TextField(_("failure"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")

    def __str__(self) -> str:
        return f"purge run #{self.pk} ({self.kind}, {self.as_of})"


class PurgeReceipt(BaseModel):
    """What one retention rule removed in one purge run: counts, never who."""

    run = models.ForeignKey(PurgeRun, on_delete=models.CASCADE, related_name="receipts")
    rule = models.CharField(_("rule"), max_length=30)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        ordering = ["run", "rule"]
        verbose_name = _("purge receipt")
        verbose_name_plural = _("purge receipts")
        constraints = [
            models.UniqueConstraint(fields=["run", "rule"], name="purgereceipt_unique_rule"),
        ]

    def __str__(self) -> str:
        return f"receipt #{self.pk} ({self.rule})"
