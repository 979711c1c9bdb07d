"""Helpers for import tests: fixture sets copied under fresh dates, and a domain snapshot."""

import datetime
import re
import shutil
from pathlib import Path

from django.utils import timezone

from schools import models

FIXTURES = Path(__file__).parent / "fixtures" / "aaf"
_DATE = re.compile(r"_(\d{8})_")


def copy_set(source: str | Path, dest: Path, *, days_ago: int = 0, mode: str | None = None) -> Path:
    """Copy a fixture set, renaming its files to a feed date `days_ago` before today."""
    date = (timezone.localdate() - datetime.timedelta(days=days_ago)).strftime("%Y%m%d")
    source = FIXTURES / source if isinstance(source, str) else source
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        name = _DATE.sub(f"_{date}_", path.name, count=1)
        if mode:
            name = name.replace("_Complet_", f"_{mode}_").replace("_Delta_", f"_{mode}_")
        shutil.copy(path, dest / name)
    return dest


DOMAIN_MODELS = (
    models.School,
    models.SchoolClass,
    models.Pupil,
    models.PupilClass,
    models.Guardian,
    models.GuardianLink,
    models.Staff,
    models.StaffAssignment,
    models.StaffClass,
)


def snapshot() -> dict:
    """Every domain row, every column: equal snapshots mean nothing changed."""
    return {
        model.__name__: sorted(model.objects.values_list(), key=lambda row: row[0])
        for model in DOMAIN_MODELS
    }
