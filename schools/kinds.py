"""The three kinds of person of the directory, named once for the whole project.

`PersonKind` values are what every app stores and compares (`User.kind`, the data-protection
rows, the import plan); the AAF file names ("Eleve", "PersRelEleve", "PersEducNat") are mapped
to them at the parser's boundary only (`imports.plan`), and the French URL words are derived here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import Guardian, Pupil, Staff


class PersonKind(models.TextChoices):
    PUPIL = "pupil", _("pupil")
    GUARDIAN = "guardian", _("guardian")
    STAFF = "staff", _("staff member")


class RecordKind(models.TextChoices):
    """The kinds of record of the directory, as the import plans, applies and counts them (and
    as closing a school counts its departures). The three kinds of person are `PersonKind`'s
    own values; the AAF file kinds ("Eleve"…) never get this far."""

    SCHOOL = "school", _("school")
    CLASS = "class", _("class")
    PUPIL = PersonKind.PUPIL.value, _("pupil")
    GUARDIAN = PersonKind.GUARDIAN.value, _("guardian")
    STAFF = PersonKind.STAFF.value, _("staff member")
    LINK = "link", _("guardian link")


type PersonModel = type[Pupil] | type[Guardian] | type[Staff]

# The registry: which model holds each kind of person.
PERSON_MODELS: dict[PersonKind, PersonModel] = {
    PersonKind.PUPIL: Pupil,
    PersonKind.GUARDIAN: Guardian,
    PersonKind.STAFF: Staff,
}

# The word of each kind in the portal's (French) addresses: /ecoles/eleve/12/.
PERSON_URL_SLUGS: dict[PersonKind, str] = {
    PersonKind.PUPIL: "eleve",
    PersonKind.GUARDIAN: "responsable",
    PersonKind.STAFF: "personnel",
}


def person_model(kind: str) -> PersonModel:
    """The model of a kind given as a stored value ("pupil"); KeyError for anything else."""
    return PERSON_MODELS[PersonKind(kind)]
