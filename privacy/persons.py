"""The directory's person models by kind (pupil, guardian, staff)."""

from schools.models import Guardian, Pupil, Staff

from .models import PersonKind

PERSON_MODELS = {PersonKind.PUPIL: Pupil, PersonKind.GUARDIAN: Guardian, PersonKind.STAFF: Staff}
