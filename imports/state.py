"""The directory as comparable plain dicts, both from the feed and from the database.

The planner diffs these dicts; the applier writes them back. One shape per kind, JSON-safe
(dates as ISO strings, memberships as sorted lists of keys), so a stored plan replays exactly.
"""

import operator
from collections.abc import Iterable

import orjson
from django.db import connection, models

from entaix.common.db import PAGE, keyset_rows
from imports.aaf import ClassRef, GuardianRecord, PupilRecord, SchoolRecord, StaffRecord
from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    PupilClass,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
    StaffClass,
)

KINDS = ("schools", "classes", "staff", "guardians", "pupils", "links")

SCHOOL_FIELDS = (
    "uai", "siren", "name", "structure_type", "ministry", "sector", "circonscription", "commune",
    "rpi", "academie", "address", "po_box", "postal_code", "city", "phone", "fax", "email",
)  # fmt: skip
IDENTITY_FIELDS = ("birth_name", "last_name", "first_name", "other_first_names", "civility")
PUPIL_FIELDS = (
    *IDENTITY_FIELDS, "birth_date", "ine", "level", "cycle", "class_type", "canteen", "transport",
    "morning_care", "evening_care", "supervised_study",
)  # fmt: skip
GUARDIAN_FIELDS = (
    *IDENTITY_FIELDS, "address", "postal_code", "city", "country", "home_phone", "mobile_phone",
    "work_phone", "email",
)  # fmt: skip
STAFF_FIELDS = (*IDENTITY_FIELDS, "birth_date", "email", "is_teacher", "specialities")
LINK_FIELDS = ("relation", "legal", "financial", "contact")

# Model fields each kind's record maps to (memberships are written separately).
MODEL_FIELDS = {
    "schools": SCHOOL_FIELDS,
    "pupils": PUPIL_FIELDS,
    "guardians": GUARDIAN_FIELDS,
    "staff": STAFF_FIELDS,
    "classes": ("name",),
    "links": LINK_FIELDS,
}


def class_key(school_key: str, kind: str, code: str) -> str:
    return f"{school_key}|{kind}|{code}"


def link_key(pupil_key: str, guardian_key: str) -> str:
    return f"{pupil_key}|{guardian_key}"


# --- from the feed --------------------------------------------------------------------------
# Records' values go in as they are (dates, tuples): every dict is compared and stored as its
# canonical JSON, where they become ISO strings and lists, as the database side's do.

_SCHOOL_VALUES = operator.attrgetter(*SCHOOL_FIELDS)
_GUARDIAN_VALUES = operator.attrgetter(*GUARDIAN_FIELDS)
_PUPIL_VALUES = operator.attrgetter(*PUPIL_FIELDS)
_STAFF_VALUES = operator.attrgetter(*STAFF_FIELDS)


def school_from_record(record: SchoolRecord) -> dict:
    return dict(zip(SCHOOL_FIELDS, _SCHOOL_VALUES(record), strict=True))


def guardian_from_record(record: GuardianRecord) -> dict:
    return dict(zip(GUARDIAN_FIELDS, _GUARDIAN_VALUES(record), strict=True))


def pupil_from_record(record: PupilRecord, *, school_key: str, classes: Iterable[str]) -> dict:
    data = dict(zip(PUPIL_FIELDS, _PUPIL_VALUES(record), strict=True))
    data["school"] = school_key
    data["classes"] = sorted(set(classes))
    return data


def staff_from_record(
    record: StaffRecord, *, assignments: list[list], classes: Iterable[str]
) -> dict:
    data = dict(zip(STAFF_FIELDS, _STAFF_VALUES(record), strict=True))
    data["assignments"] = sorted(assignments)
    data["classes"] = sorted(set(classes))
    return data


def class_refs(refs: Iterable[ClassRef], kind: str) -> list[tuple[str, dict]]:
    return [
        (class_key(ref.school_key, kind, ref.code),
         {"school": ref.school_key, "kind": kind, "code": ref.code, "name": ref.name})
        for ref in refs
    ]  # fmt: skip


# --- from the database ----------------------------------------------------------------------
# Each loader returns a Snapshot: per key, the row as canonical JSON text (sorted keys), whether
# it has left, and its school. Text, not dicts: a dict per row made the planner's memory three
# times larger; equal texts are equal rows. orjson is five times faster than the stdlib encoder;
# its bytes keep an 8 KB buffer each, so they are decoded to a compact str.


def dump(data: dict) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


class Snapshot:
    """One kind's rows in the database, keyed by join key; rows decode when asked for."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, bool, str]] = {}

    def add(self, key: str, data: dict, left: bool, school: str = "") -> None:
        self.rows[key] = (dump(data), left, school)

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def __iter__(self):
        return iter(self.rows)

    def text(self, key: str) -> str | None:
        row = self.rows.get(key)
        return None if row is None else row[0]

    def is_left(self, key: str) -> bool:
        return self.rows[key][1]

    def school(self, key: str) -> str:
        return self.rows[key][2]

    def get(self, key: str) -> tuple[dict, bool] | None:
        row = self.rows.get(key)
        return None if row is None else (orjson.loads(row[0]), row[1])

    def __getitem__(self, key: str) -> tuple[dict, bool]:
        text, left, _ = self.rows[key]
        return orjson.loads(text), left

    def present(self) -> list[str]:
        return [key for key, row in self.rows.items() if not row[1]]


def _converter(field):
    """Raw values to what the feed side holds (the ORM's converters, without the ORM)."""
    if isinstance(field, models.JSONField):
        return lambda v: orjson.loads(v) if isinstance(v, str | bytes) else v
    if isinstance(field, models.BooleanField):
        return lambda v: v if v is None else bool(v)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return lambda v: v.isoformat() if hasattr(v, "isoformat") else v
    return None


def _rows(model, fields: tuple[str, ...], extra: tuple[str, ...] = ()) -> Iterable[dict]:
    """Each row as {"id", "join_key", "left", *fields, *extra (by attname)}, read in keyset
    pages of plain tuples: the ORM's work per row doubled the time to read the directory."""
    meta = model._meta
    model_fields = [meta.get_field(name) for name in (*fields, *extra)]
    names = [field.attname for field in model_fields]
    converters = [(i, c) for i, f in enumerate(model_fields) if (c := _converter(f))]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in model_fields)
    # Identifiers come from the model's metadata, quoted; the page bound is a parameter.
    sql = (
        f"SELECT id, join_key, left_at IS NOT NULL, {columns} FROM {quote(meta.db_table)}"  # noqa: S608
        f" WHERE id > %s ORDER BY id LIMIT {PAGE}"
    )
    for row in keyset_rows(sql, [], after=0):
        values = list(row[3:])
        for i, convert in converters:
            values[i] = convert(values[i])
        data = dict(zip(names, values, strict=True))
        data["id"], data["join_key"], data["left"] = row[0], row[1], bool(row[2])
        yield data


def load_schools() -> Snapshot:
    result = Snapshot()
    for row in _rows(School, SCHOOL_FIELDS):
        data = {f: row[f] for f in SCHOOL_FIELDS}
        result.add(row["join_key"], data, row["left"], row["join_key"])
    return result


def school_keys_by_id() -> dict[int, str]:
    return dict(School.objects.values_list("id", "join_key"))


def load_classes(school_keys: dict[int, str]) -> Snapshot:
    result = Snapshot()
    for row in SchoolClass.objects.values("school_id", "kind", "code", "name", "left_at"):
        school = school_keys[row["school_id"]]
        data = {"school": school, "kind": row["kind"], "code": row["code"], "name": row["name"]}
        key = class_key(school, row["kind"], row["code"])
        result.add(key, data, row["left_at"] is not None, school)
    return result


def _class_keys_by_id(school_keys: dict[int, str]) -> dict[int, str]:
    return {
        row[0]: class_key(school_keys[row[1]], row[2], row[3])
        for row in SchoolClass.objects.values_list("id", "school_id", "kind", "code")
    }


def _memberships(through, owner: str, class_keys: dict[int, str]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for owner_id, class_id in through.objects.values_list(owner, "school_class_id").iterator(5000):
        result.setdefault(owner_id, []).append(class_keys[class_id])
    return result


def load_pupils(school_keys: dict[int, str]) -> Snapshot:
    class_keys = _class_keys_by_id(school_keys)
    memberships = _memberships(PupilClass, "pupil_id", class_keys)
    result = Snapshot()
    for row in _rows(Pupil, PUPIL_FIELDS, ("school",)):
        data = {f: row[f] for f in PUPIL_FIELDS}
        data["school"] = school_keys[row["school_id"]]
        data["classes"] = sorted(memberships.pop(row["id"], ()))
        result.add(row["join_key"], data, row["left"], data["school"])
    return result


def load_guardians() -> Snapshot:
    result = Snapshot()
    for row in _rows(Guardian, GUARDIAN_FIELDS):
        data = {f: row[f] for f in GUARDIAN_FIELDS}
        result.add(row["join_key"], data, row["left"])
    return result


def load_staff(school_keys: dict[int, str]) -> Snapshot:
    class_keys = _class_keys_by_id(school_keys)
    classes = _memberships(StaffClass, "staff_id", class_keys)
    assignments: dict[int, list[list]] = {}
    for staff_id, school_id, is_director, functions in StaffAssignment.objects.values_list(
        "staff_id", "school_id", "is_director", "functions"
    ):
        assignments.setdefault(staff_id, []).append(
            [school_keys[school_id], is_director, functions]
        )
    result = Snapshot()
    for row in _rows(Staff, STAFF_FIELDS):
        data = {f: row[f] for f in STAFF_FIELDS}
        data["assignments"] = sorted(assignments.get(row["id"], ()))
        data["classes"] = sorted(classes.get(row["id"], ()))
        result.add(row["join_key"], data, row["left"], staff_school(data))
    return result


def staff_school(data: dict) -> str:
    """Staff are counted in their first open school."""
    return data["assignments"][0][0] if data["assignments"] else ""


def load_links() -> Snapshot:
    result = Snapshot()
    rows = GuardianLink.objects.values_list(
        "pupil__join_key", "guardian__join_key", *LINK_FIELDS, "left_at"
    ).iterator(5000)
    for pupil, guardian, relation, legal, financial, contact, left_at in rows:
        data = {
            "pupil": pupil,
            "guardian": guardian,
            "relation": relation,
            "legal": legal,
            "financial": financial,
            "contact": contact,
        }
        result.add(link_key(pupil, guardian), data, left_at is not None)
    return result


def link_ends(key: str) -> tuple[str, str]:
    """(pupil key, guardian key) of a link key."""
    pupil, guardian = key.split("|", 1)
    return pupil, guardian
