"""The directory the AAF feed owns: schools, classes, pupils, guardians, staff and their links.

Persons live here rather than in `accounts` because the feed is their source of truth; `accounts`
owns what the city adds on top (ENT accounts, activation, resets, letters, data requests).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from entaix.common.models import BaseModel
from schools.search import SearchKey


def feed_digest_field():
    """A 64-bit digest of the feed record as last applied, set by the importer: a re-import
    compares digests instead of reading the whole directory back. NULL when unknown (a row
    changed outside the importer): the importer then compares the row itself."""
    return models.BigIntegerField(_("feed digest"), null=True, blank=True, editable=False)


class FeedOwned(BaseModel):
    """Provenance of a record that comes from the AAF feed."""

    join_key = models.CharField(_("join key"), max_length=64, unique=True)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    # Plain id, not a foreign key: `imports` depends on `schools`, never the reverse.
    last_changed_run = models.BigIntegerField(
        _("last changed by import run"), null=True, blank=True
    )
    left_at = models.DateTimeField(_("left at"), null=True, blank=True, db_index=True)
    feed_digest = feed_digest_field()

    class Meta:
        abstract = True

    @property
    def is_present(self) -> bool:
        return self.left_at is None


class School(FeedOwned):
    uai = models.CharField(_("UAI"), max_length=8, unique=True)
    siren = models.CharField(_("SIREN"), max_length=14, blank=True)
    name = models.CharField(_("name"), max_length=200)
    structure_type = models.CharField(_("type"), max_length=100, blank=True)
    ministry = models.CharField(_("supervising ministry"), max_length=100, blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    circonscription = models.CharField(_("circonscription"), max_length=100, blank=True)
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    rpi = models.CharField(_("RPI"), max_length=100, blank=True)
    academie = models.CharField(_("académie"), max_length=100, blank=True)
    address = models.TextField(_("address"), blank=True)
    po_box = models.CharField(_("PO box"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    fax = models.CharField(_("fax"), max_length=30, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    # The city opens the ENT school by school; only open schools' persons are kept.
    ent_open = models.BooleanField(_("ENT open"), default=False)
    ent_opened_on = models.DateField(_("ENT opening date"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.CheckConstraint(
                condition=Q(ent_open=False) | Q(ent_opened_on__isnull=False),
                name="school_open_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"


class SchoolClass(BaseModel):
    """A class or a group of one school, keyed by school and code (codes repeat across schools)."""

    class Kind(models.TextChoices):
        CLASS = "class", _("class")
        GROUP = "group", _("group")

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="classes")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.CLASS)
    code = models.CharField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    feed_digest = feed_digest_field()

    class Meta:
        ordering = ["school", "kind", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["school", "kind", "code"], name="class_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(FeedOwned):
    birth_name = models.CharField(_("birth name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150)
    first_name = models.CharField(_("first name"), max_length=150)
    other_first_names = models.JSONField(_("other first names"), default=list, blank=True)
    civility = models.CharField(_("civility"), max_length=20, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)s",
    )
    # The names as the search compares them (schools/search.py), computed and stored by the
    # database: its words' index (migration 0007) answers without recomputing the fold.
    search_key = models.GeneratedField(
        expression=SearchKey("first_name", "last_name"),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        abstract = True
        ordering = ["last_name", "first_name"]
        indexes = [
            # The search's walk in name order when many match ("ma"): the key carried along
            # (PostgreSQL), the walk reads no table row (schools/search.py).
            models.Index(
                fields=["last_name", "first_name", "id"],
                include=["search_key"],
                name="%(app_label)s_%(class)s_by_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Pupil(Person):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ine = models.CharField(_("INE"), max_length=20, blank=True)
    level = models.CharField(_("level"), max_length=10, blank=True)
    cycle = models.CharField(_("cycle"), max_length=10, blank=True)
    class_type = models.CharField(_("class type"), max_length=100, blank=True)
    classes = models.ManyToManyField(SchoolClass, through="PupilClass", related_name="pupils")
    guardians = models.ManyToManyField("Guardian", through="GuardianLink", related_name="pupils")

    class Meta(Person.Meta):
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")


class PupilClass(models.Model):
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="class_links")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pupil", "school_class"], name="pupilclass_unique"),
        ]


class Guardian(Person):
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    home_phone = models.CharField(_("home phone"), max_length=30, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    work_phone = models.CharField(_("work phone"), max_length=30, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)

    class Meta(Person.Meta):
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")


class GuardianLink(models.Model):
    """How a related person stands to a pupil; carried on the pupil's feed record."""

    class Relation(models.TextChoices):
        FATHER = "father", _("father")
        MOTHER = "mother", _("mother")
        TUTOR = "tutor", _("tutor")
        FAMILY = "family", _("other family member")
        WELFARE = "welfare", _("child-welfare service")
        OTHER = "other", _("other")
        PUPIL = "pupil", _("the pupil")
        UNKNOWN = "", _("not stated")

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="pupil_links")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices, blank=True)
    # 1 or 2: first or second holder of parental authority; 0: no authority (a contact).
    legal = models.PositiveSmallIntegerField(_("legal authority"), default=0)
    financial = models.BooleanField(_("financial"), default=False)
    contact = models.BooleanField(_("contact"), default=False)
    # A link the feed no longer states ends here; the row stays (imports never hard-delete).
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    feed_digest = feed_digest_field()

    class Meta:
        verbose_name = _("guardian link")
        verbose_name_plural = _("guardian links")
        constraints = [
            models.UniqueConstraint(fields=["pupil", "guardian"], name="guardianlink_unique"),
            models.CheckConstraint(condition=Q(legal__lte=2), name="guardianlink_legal_0_1_2"),
        ]

    @property
    def has_authority(self) -> bool:
        return self.legal > 0


class Staff(Person):
    """A member of a school's staff: from the AAF feed (teachers, directors) or entered by the
    city's school service (people the Ministry's directory does not hold: ATSEM, after-school,
    canteen staff, librarians, intervenors). Both get accounts, letters, resets and scope alike;
    the feed never plans, matches or ends a city-sourced row (imports filter on `source`)."""

    class Source(models.TextChoices):
        AAF = "aaf", _("AAF feed")
        CITY = "city", _("city (school service)")

    class Role(models.TextChoices):
        """What a city-sourced person does in the school (empty for the feed's staff)."""

        ATSEM = "atsem", _("ATSEM (nursery assistant)")
        AFTER_SCHOOL = "periscolaire", _("after-school staff")
        CANTEEN = "cantine", _("canteen staff")
        LIBRARIAN = "bibliothecaire", _("librarian")
        INTERVENOR = "intervenant", _("intervenor")

    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    is_teacher = models.BooleanField(_("teacher"), null=True)
    specialities = models.JSONField(_("specialities"), default=list, blank=True)
    schools = models.ManyToManyField(School, through="StaffAssignment", related_name="staff")
    classes = models.ManyToManyField(SchoolClass, through="StaffClass", related_name="teachers")
    source = models.CharField(
        _("source"), max_length=4, choices=Source.choices, default=Source.AAF, db_index=True
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    # The city's contract dates: the person leaves (account deactivated) the day after end_date.
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta(Person.Meta):
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.CheckConstraint(
                condition=Q(source="aaf", role="", start_date=None, end_date=None)
                | Q(
                    Q(source="city", start_date__isnull=False, end_date__isnull=False)
                    & ~Q(role="")
                    & Q(end_date__gte=models.F("start_date"))
                ),
                name="staff_city_has_role_and_dates",
            ),
        ]

    @property
    def is_city_sourced(self) -> bool:
        return self.source == self.Source.CITY


class StaffAssignment(models.Model):
    """A staff member's functions in one school, and whether they direct it."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="assignments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="assignments")
    is_director = models.BooleanField(_("director"), default=False)
    # [{"code": "ENS", "label": …, "post_code": …, "post_label": …}, …] as the feed states them.
    functions = models.JSONField(_("functions"), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "school"], name="staffassignment_unique"),
        ]
        indexes = [models.Index(fields=["school", "is_director"])]


class StaffClass(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="class_links")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "school_class"], name="staffclass_unique"),
        ]
