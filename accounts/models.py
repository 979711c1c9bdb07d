from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class User(AbstractBaseUser, PermissionsMixin):
    """One account per ENT person (pupil, guardian, staff) and per city portal user."""

    class Kind(models.TextChoices):
        PUPIL = "pupil", _("pupil")
        GUARDIAN = "guardian", _("guardian")
        STAFF = "staff", _("Education nationale staff")
        CITY = "city", _("city staff")

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
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin access"), default=False, help_text=_("May open the Django admin.")
    )
    date_joined = models.DateTimeField(_("created"), default=timezone.now)

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
