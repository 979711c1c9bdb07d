"""The directory as comparable plain dicts, both from the feed and from the database.

The planner stages and diffs these dicts; the applier writes them back. One shape per kind,
JSON-safe (dates as ISO strings, memberships as sorted lists of keys), so a stored plan replays
exactly.
"""

import hashlib
import operator
from collections.abc import Iterable
from itertools import batched

import orjson
from django.db import connection, models

from entaix.common.db import IN_CHUNK, rows_in
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
# Minimisation (issue 14): the record→row conversion keeps only what the ENT needs. Not kept,
# though the feed carries them: pupils' canteen, transport, childcare and study flags, staff
# birth dates (privacy/inventory.py, NOT_KEPT).
PUPIL_FIELDS = (*IDENTITY_FIELDS, "birth_date", "ine", "level", "cycle", "class_type")
GUARDIAN_FIELDS = (
    *IDENTITY_FIELDS, "address", "postal_code", "city", "country", "home_phone", "mobile_phone",
    "work_phone", "email",
)  # fmt: skip
STAFF_FIELDS = (*IDENTITY_FIELDS, "email", "is_teacher", "specialities")
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


def twin(data: dict) -> str:
    """Name and birth date, compared to flag a newcomer who may be someone who left."""
    birth = data.get("birth_date")
    birth = birth.isoformat() if hasattr(birth, "isoformat") else (birth or "")
    return f"{data['last_name'].lower()}\x1f{data['first_name'].lower()}\x1f{birth}"


def class_refs(refs: Iterable[ClassRef], kind: str) -> list[tuple[str, dict]]:
    return [
        (class_key(ref.school_key, kind, ref.code),
         {"school": ref.school_key, "kind": kind, "code": ref.code, "name": ref.name})
        for ref in refs
    ]  # fmt: skip


# --- from the database ----------------------------------------------------------------------
# The planner compares digests in the database (imports/stage.py); these loaders render the few
# rows whose fields it needs in full: the targets of updates, returns and modify records, and
# rows whose digest is unknown. Dicts are compared and stored as canonical JSON (sorted keys);
# orjson is five times faster than the stdlib encoder, and its bytes are decoded to a compact str.


def dump(data: dict) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def digest(text: str) -> int:
    """64-bit digest of a record's canonical JSON, as stored in its row's feed_digest. It is only
    compared with the same key's previous digest, so 64 bits leave no practical collision."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), signed=True)


def _converter(field):
    """Raw values to what the feed side holds (the ORM's converters, without the ORM)."""
    if isinstance(field, models.JSONField):
        return lambda v: orjson.loads(v) if isinstance(v, str | bytes) else v
    if isinstance(field, models.BooleanField):
        return lambda v: v if v is None else bool(v)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return lambda v: v.isoformat() if hasattr(v, "isoformat") else v
    return None


def _rows(model, fields: tuple[str, ...], keys: list[str], extra: tuple[str, ...] = ()):
    """Rows of the given join keys as {"id", "join_key", *fields, *extra (by attname)}, read as
    plain tuples: the ORM's work per row doubled the time to read the directory."""
    meta = model._meta
    model_fields = [meta.get_field(name) for name in (*fields, *extra)]
    names = [field.attname for field in model_fields]
    converters = [(i, c) for i, f in enumerate(model_fields) if (c := _converter(f))]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in model_fields)
    # Identifiers come from the model's metadata, quoted; the keys are parameters.
    sql = (
        f"SELECT id, join_key, {columns} FROM {quote(meta.db_table)}"  # noqa: S608
        " WHERE join_key IN ({keys})"
    )
    for row in rows_in(sql, keys):
        values = list(row[2:])
        for i, convert in converters:
            values[i] = convert(values[i])
        data = dict(zip(names, values, strict=True))
        data["id"], data["join_key"] = row[0], row[1]
        yield data


def _school_keys() -> dict[int, str]:
    return dict(School.objects.values_list("id", "join_key"))


def _memberships(through, owner: str, ids: list[int], school_keys) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for chunk in batched(ids, IN_CHUNK):
        rows = through.objects.filter(**{f"{owner}__in": chunk})
        for owner_id, school_id, kind, code in rows.values_list(
            owner, "school_class__school_id", "school_class__kind", "school_class__code"
        ):
            result.setdefault(owner_id, []).append(class_key(school_keys[school_id], kind, code))
    return result


def _schools(keys: list[str]) -> dict[str, dict]:
    return {
        row["join_key"]: {f: row[f] for f in SCHOOL_FIELDS}
        for row in _rows(School, SCHOOL_FIELDS, keys)
    }


def _classes(keys: list[str]) -> dict[str, dict]:
    wanted = set(keys)
    schools = sorted({key.split("|", 1)[0] for key in keys})
    result = {}
    rows = SchoolClass.objects.filter(school__join_key__in=schools).values_list(
        "school__join_key", "kind", "code", "name"
    )
    for school, kind, code, name in rows:
        key = class_key(school, kind, code)
        if key in wanted:
            result[key] = {"school": school, "kind": kind, "code": code, "name": name}
    return result


def _pupils(keys: list[str]) -> dict[str, dict]:
    school_keys = _school_keys()
    rows = list(_rows(Pupil, PUPIL_FIELDS, keys, ("school",)))
    memberships = _memberships(PupilClass, "pupil_id", [r["id"] for r in rows], school_keys)
    result = {}
    for row in rows:
        data = {f: row[f] for f in PUPIL_FIELDS}
        data["school"] = school_keys[row["school_id"]]
        data["classes"] = sorted(memberships.get(row["id"], ()))
        result[row["join_key"]] = data
    return result


def _guardians(keys: list[str]) -> dict[str, dict]:
    return {
        row["join_key"]: {f: row[f] for f in GUARDIAN_FIELDS}
        for row in _rows(Guardian, GUARDIAN_FIELDS, keys)
    }


def _staff(keys: list[str]) -> dict[str, dict]:
    school_keys = _school_keys()
    rows = list(_rows(Staff, STAFF_FIELDS, keys))
    ids = [r["id"] for r in rows]
    classes = _memberships(StaffClass, "staff_id", ids, school_keys)
    assignments: dict[int, list[list]] = {}
    for chunk in batched(ids, IN_CHUNK):
        for staff_id, school_id, is_director, functions in StaffAssignment.objects.filter(
            staff_id__in=chunk
        ).values_list("staff_id", "school_id", "is_director", "functions"):
            assignments.setdefault(staff_id, []).append(
                [school_keys[school_id], is_director, functions]
            )
    result = {}
    for row in rows:
        data = {f: row[f] for f in STAFF_FIELDS}
        data["assignments"] = sorted(assignments.get(row["id"], ()))
        data["classes"] = sorted(classes.get(row["id"], ()))
        result[row["join_key"]] = data
    return result


def _links(keys: list[str]) -> dict[str, dict]:
    wanted = set(keys)
    pupils = sorted({link_ends(key)[0] for key in keys})
    result = {}
    for chunk in batched(pupils, IN_CHUNK):
        rows = GuardianLink.objects.filter(pupil__join_key__in=chunk)
        for pupil, guardian, relation, legal, financial, contact in rows.values_list(
            "pupil__join_key", "guardian__join_key", *LINK_FIELDS
        ):
            key = link_key(pupil, guardian)
            if key in wanted:
                result[key] = {
                    "pupil": pupil,
                    "guardian": guardian,
                    "relation": relation,
                    "legal": legal,
                    "financial": financial,
                    "contact": contact,
                }
    return result


_LOADERS = {"schools": _schools, "classes": _classes, "pupils": _pupils,
            "guardians": _guardians, "staff": _staff, "links": _links}  # fmt: skip


def rows(kind: str, keys: Iterable[str]) -> dict[str, dict]:
    """The directory's rows of one kind for the given keys, as the feed side renders them."""
    keys = sorted(set(keys))
    return _LOADERS[kind](keys) if keys else {}


def staff_school(data: dict) -> str:
    """Staff are counted in their first open school."""
    return data["assignments"][0][0] if data["assignments"] else ""


def link_ends(key: str) -> tuple[str, str]:
    """(pupil key, guardian key) of a link key."""
    pupil, guardian = key.split("|", 1)
    return pupil, guardian
