import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entaix.common.fields import PortableArrayField
from entaix.common.models import BaseModel
from entaix.common.storage import private_storage
from schools.kinds import PersonKind


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_login(cls, login: str) -> str:
        return (login or "").strip().lower()

    def get_by_natural_key(self, username: str) -> "User":
        # Logins are stored lower-case, so a case-insensitive lookup is an exact one.
        return self.get(login=self.normalize_login(username))

    def create_user(self, login: str, password: str | None = None, **fields) -> "User":
        if not login:
            raise ValueError("A login is required.")
        user = self.model(login=self.normalize_login(login), **fields)
        user.email = self.normalize_email(user.email)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, login: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True, kind=User.Kind.CITY)
        return self.create_user(login, password, **fields)


class ActivationState(models.TextChoices):
    INACTIVE = "inactive", _("deactivated")
    ACTIVATED = "activated", _("activated")
    NO_CODE = "no-code", _("no letter printed yet")
    PENDING = "pending", _("letter printed, not activated")
    EXPIRED = "expired", _("code expired")


class User(AbstractBaseUser, PermissionsMixin):
    """One account per ENT person (pupil, guardian, staff) and per city portal user."""

    class Kind(models.TextChoices):
        # The three persons' values are `schools.kinds.PersonKind`'s: an account's kind is the
        # kind of the person it belongs to, or the city's own staff.
        PUPIL = PersonKind.PUPIL.value, _("pupil")
        GUARDIAN = PersonKind.GUARDIAN.value, _("guardian")
        STAFF = PersonKind.STAFF.value, _("Education nationale staff")
        CITY = "city", _("city staff")

    class CityRole(models.TextChoices):
        """What a city-staff account does (city staff only; the school scope is the same)."""

        SCHOOL_SERVICE = "school-service", _("school service")
        DPO = "dpo", _("data-protection officer")
        IT_ADMIN = "it-admin", _("IT administrator")

    login = models.CharField(
        _("login"),
        max_length=64,
        unique=True,
        help_text=_("Lower-case letters, digits, dots and hyphens."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    city_role = models.CharField(
        _("city role"), max_length=20, choices=CityRole.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin access"), default=False, help_text=_("May open the Django admin.")
    )
    date_joined = models.DateTimeField(_("created"), default=timezone.now)
    # Activation (issue 6): the person chose a password with the code of their letter.
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # An e-mail is used for password recovery only once its owner followed the link sent to it.
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    terms_version = models.CharField(_("terms of use version"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms of use accepted at"), null=True, blank=True)
    # A manual lock (an upheld opposition, a hand decision): deactivated, and account_sync never
    # reactivates it; no letter is printed for it. The reason carries ids only.
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    lock_reason = models.CharField(_("lock reason"), max_length=50, blank=True)
    # The identifier other services see (OpenID Connect `sub`, SCIM `id`): random, so it reveals
    # neither the AAF key nor the login, and it never changes, even if the login does.
    public_id = models.UUIDField(
        _("public identifier"), default=uuid.uuid4, unique=True, editable=False
    )
    # What other services see of the account (SCIM, accounts/directory.py): a digest of the
    # exported state, and when it last changed, for their incremental syncs.
    directory_digest = models.BigIntegerField(
        _("directory digest"), null=True, blank=True, editable=False
    )
    directory_modified_at = models.DateTimeField(
        _("directory modified at"), null=True, blank=True, editable=False, db_index=True
    )
    # The schools and classes the person belongs to now (the groups of the exported state), kept
    # with the digest: a SCIM client's scope and each user's groups are read from here, without
    # joining the directory for every page.
    directory_schools = PortableArrayField(
        models.BigIntegerField(), verbose_name=_("directory schools"), default=list, blank=True,
        editable=False,
    )  # fmt: skip
    directory_classes = PortableArrayField(
        models.BigIntegerField(), verbose_name=_("directory classes"), default=list, blank=True,
        editable=False,
    )  # fmt: skip

    objects = UserManager()

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("login"), name="user_login_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(login__regex=r"^[a-z0-9][a-z0-9.\-]*$"),
                name="user_login_charset",
            ),
        ]

    def __str__(self) -> str:
        return self.login

    def clean(self) -> None:
        super().clean()
        self.login = UserManager.normalize_login(self.login)
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None and self.has_usable_password()

    @property
    def has_confirmed_email(self) -> bool:
        return bool(self.email) and self.email_confirmed_at is not None

    @property
    def activation_state(self) -> ActivationState:
        """For lists: select_related("activation_code") first, or this costs a query."""
        if not self.is_active:
            return ActivationState.INACTIVE
        if self.has_usable_password():
            return ActivationState.ACTIVATED
        code = getattr(self, "activation_code", None)
        if code is None:
            return ActivationState.NO_CODE
        if code.expires_at <= timezone.now():
            return ActivationState.EXPIRED
        return ActivationState.PENDING


class ActivationCode(BaseModel):
    """The one live activation code of an account, never stored in clear.

    `digest` (keyed HMAC-SHA256) checks a typed code; `ciphertext` (MultiFernet, keys from
    `ACTIVATION_CODE_KEYS`) lets a letter be reprinted with the same code until the account is
    activated. Activation deletes the row; regenerating overwrites both columns.
    """

    account = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="activation_code", verbose_name=_("account")
    )
    digest = models.CharField(_("digest"), max_length=64)
    ciphertext = models.TextField(_("encrypted code"))
    expires_at = models.DateTimeField(_("expires at"))
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When a letter carrying this code was last built (the PDF exists), and by whom: NULL for a
    # code never printed, and again for a regenerated one ("not-printed" letter batches).
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    printed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")

    def __str__(self) -> str:
        # Never the code: ids only.
        return f"activation code #{self.pk} (account {self.account_id})"


class RenewalRequest(BaseModel):
    """A person without a confirmed e-mail asked for a new password: a teacher hands a slip."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("slip printed")
        CANCELLED = "cancelled", _("cancelled")

    account = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="renewal_requests", verbose_name=_("account")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    handled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("renewal request")
        verbose_name_plural = _("renewal requests")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="open"), name="renewal_one_open_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"renewal request #{self.pk} (account {self.account_id})"


class LetterBatch(BaseModel):
    """One printing of activation letters: who asked, when, how many pages — never the codes.

    Batches over a class or a school are built in the background (`accounts.tasks`): the row
    carries the status, the progress and, once built, the PDF in the private media folder for
    LETTER_BATCH_KEEP_HOURS, downloaded through an expiring signed link.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("being built")
        DONE = "done", _("printed")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("file deleted")

    class Kind(models.TextChoices):
        CLASS_GUARDIANS = "class-guardians", _("guardians of a class")
        CLASS_PUPILS = "class-pupils", _("pupils of a class")
        SELECTION = "selection", _("selected accounts")
        RENEWAL = "renewal", _("renewal slips")
        CLASS = "class", _("class batch")
        SCHOOL = "school", _("school batch")

    class Profile(models.TextChoices):
        # Whose letters: a kind of person (`schools.kinds.PersonKind`), labelled as a group.
        GUARDIAN = PersonKind.GUARDIAN.value, _("guardians")
        PUPIL = PersonKind.PUPIL.value, _("pupils")
        STAFF = PersonKind.STAFF.value, _("staff")

    class Filter(models.TextChoices):
        NOT_ACTIVATED = "not-activated", _("accounts not activated")
        NOT_PRINTED = "not-printed", _("letters not printed yet")
        ALL = "all", _("every account")

    class Layout(models.TextChoices):
        LETTER = "letter", _("one letter per A4 page")
        SLIPS = "slips", _("8 slips per A4 page")

    class Origin(models.TextChoices):
        PAGE = "page", _("portal")
        COMMAND = "command", _("command line")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.PAGE
    )
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    school_class = models.ForeignKey(
        "schools.SchoolClass",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class"),
    )
    profile = models.CharField(_("profile"), max_length=10, choices=Profile.choices, blank=True)
    filter = models.CharField(
        _("filter"), max_length=15, choices=Filter.choices, default=Filter.NOT_ACTIVATED
    )
    layout = models.CharField(
        _("layout"), max_length=10, choices=Layout.choices, default=Layout.LETTER
    )
    count = models.PositiveIntegerField(_("letters"), default=0)
    progress = models.PositiveIntegerField(_("letters built"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    file = models.FileField(
        _("file"), storage=private_storage, upload_to="letters/", blank=True, max_length=200
    )
    expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("letter batch")
        verbose_name_plural = _("letter batches")

    def __str__(self) -> str:
        return f"letter batch #{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.progress / self.count) if self.count else 0
