"""The services that sign people in with their ENT account (OpenID Connect clients), and the
record of each sign-in.

`Client` is django-oauth-toolkit's application model, swapped in
(`OAUTH2_PROVIDER_APPLICATION_MODEL`): its tokens, grants and ID tokens keep the toolkit's own
tables. City staff register clients on the portal (oidc/views.py); a client is never deleted,
only deactivated, so that the sign-in records keep naming it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication, ApplicationManager


class Client(AbstractApplication):
    allowed_scopes = models.CharField(
        _("allowed scopes"), max_length=200, default="openid profile",
        help_text=_("Space-separated: what the service may ask for."),
    )  # fmt: skip
    # The ENT itself (ONE), run by the editor under the city's convention with the Académie:
    # it may receive the feed's join key (scope `aaf`); no other client ever does.
    aaf_convention = models.BooleanField(
        _("works on the same AAF data under the convention"), default=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("registered by"),
    )  # fmt: skip

    objects = ApplicationManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("connected service")
        verbose_name_plural = _("connected services")

    def natural_key(self):
        return (self.client_id,)

    @property
    def scope_list(self) -> list[str]:
        return self.allowed_scopes.split()

    @property
    def trusted(self) -> bool:
        """A trusted city service: no consent screen (the toolkit's `skip_authorization`)."""
        return self.skip_authorization

    def is_usable(self, request) -> bool:
        # A deactivated client gets no code, no token, and its tokens stop working.
        return self.is_active


class SignIn(models.Model):
    """A person signed in to a client: who, when, which client and what it received."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("account"),
    )  # fmt: skip
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="sign_ins", verbose_name=_("service")
    )
    at = models.DateTimeField(_("signed in at"), default=timezone.now, db_index=True)
    scopes = models.CharField(_("scopes"), max_length=200)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("sign-in to a service")
        verbose_name_plural = _("sign-ins to services")
        indexes = [models.Index(fields=["account", "at"])]

    def __str__(self) -> str:
        return f"sign-in #{self.pk} (account {self.account_id}, client {self.client_id})"
