"""SCIM clients (the ENT, the city's school services), what each received, and the versions of
the groups (schools and classes) they read."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from entaix.common.models import BaseModel


class ScimClient(BaseModel):
    """A service reading the directory over SCIM with its own bearer token.

    The token is drawn from `secrets` and shown once; only its SHA-256 is kept (a 256-bit random
    token needs no slow hash: nothing can be guessed from its digest). The client sees only the
    people and groups of the schools it serves.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    schools = models.ManyToManyField(
        "schools.School", related_name="+", blank=True, verbose_name=_("schools served")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    token_issued_at = models.DateTimeField(_("token issued at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SCIM client")
        verbose_name_plural = _("SCIM clients")

    def __str__(self) -> str:
        return self.name


class ScimDelivery(models.Model):
    """An account's data went to a client (first and latest time): the access export lists
    these recipients, and a client keeps seeing, as inactive, people it received who left."""

    client = models.ForeignKey(ScimClient, on_delete=models.CASCADE, related_name="deliveries")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_deliveries"
    )
    first_sent_at = models.DateTimeField(_("first sent at"))
    last_sent_at = models.DateTimeField(_("last sent at"))

    class Meta:
        verbose_name = _("SCIM delivery")
        verbose_name_plural = _("SCIM deliveries")
        constraints = [
            models.UniqueConstraint(fields=["client", "account"], name="scimdelivery_unique"),
        ]
        indexes = [models.Index(fields=["account"], name="scimdelivery_account")]


class ScimGroupState(models.Model):
    """The version of a group (a school, or a class of a school): a digest of what SCIM shows
    of it (name, members) and when it last changed, for `meta.lastModified` and incremental
    syncs of groups. Kept by `services.scim_groups_refresh` after every directory refresh."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    school_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    digest = models.BigIntegerField()
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(school_class__isnull=True),
                name="scimgroupstate_one_per_school",
            ),
            models.UniqueConstraint(
                fields=["school_class"],
                condition=models.Q(school_class__isnull=False),
                name="scimgroupstate_one_per_class",
            ),
        ]


class ScimRemoval(models.Model):
    """An account a client received was deleted (its person's data purged at the end of their
    retention, an upheld erasure): the client keeps receiving it, as inactive with its `id`
    only, so that it deactivates its copy at its next sync. Nothing else of the person is kept;
    a client that never received the account gets no such row (it never learns of them).

    `account_key` is the deleted account's id (PostgreSQL never hands an id out twice): it
    places the row among the live accounts in a listing ordered by id, for cursors."""

    client = models.ForeignKey(ScimClient, on_delete=models.CASCADE, related_name="removals")
    account_key = models.BigIntegerField()
    public_id = models.UUIDField()
    removed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SCIM removal")
        verbose_name_plural = _("SCIM removals")
        constraints = [
            models.UniqueConstraint(fields=["client", "account_key"], name="scimremoval_unique"),
        ]
