"""Every row of a CSV of people outside the feed, checked against the directory: OK, warning
or error, each finding with its line, column and a translatable message.

Errors are never applied; warnings are applied only once the school service approves them.
A finding keeps a code and parameters (a UAI, a line, a count), never a cell's value: the
cells are personal and leave with the file, the findings stay as the import's trace.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from imports.city import selectors
from imports.city.csvfile import ParsedFile, normalise_header
from schools.models import Staff

ERROR, WARNING = "error", "warning"

MESSAGES = {
    # The file as a whole (line 0).
    "empty": _("The file is empty."),
    "too-large": _("The file is larger than %(max)s KB."),
    "encoding": _(
        "The file is neither UTF-8 nor Windows-1252: save it again from the spreadsheet as "
        "“CSV UTF-8”."
    ),
    "delimiter": _(
        "The header row is not split into the expected columns by “;” or “,”: check the "
        "delimiter and the column names."
    ),
    "duplicate-column": _("This column appears twice in the header."),
    "missing-column": _("This required column is missing from the header."),
    "ignored-column": _("This column is not one of the expected ones: it is ignored."),
    "too-many-rows": _("More than %(max)s rows: split the file."),
    "no-rows": _("The file has a header but no rows."),
    # One row.
    "cell-count": _(
        "This row has %(found)s cells where the header has %(expected)s (a delimiter inside a "
        "value? Put the value between double quotes)."
    ),
    "required": _("This value is required."),
    "too-long": _("Longer than %(max)s characters."),
    "unknown-role": _("Unknown role: write one of %(roles)s."),
    "unknown-school": _("No school has the UAI %(uai)s."),
    "school-gone": _("The school %(uai)s is no longer in the directory."),
    "school-not-open": _(
        "The ENT is not open at %(uai)s yet: the account is created when the school opens."
    ),
    "bad-date": _("Not a date: write it DD/MM/YYYY."),
    "end-before-start": _("The end date is before the start date."),
    "end-passed": _("The end date has already passed."),
    "bad-email": _("Not a valid e-mail address."),
    "duplicate-row": _("Same person as line %(line)s of this file."),
    "feed-duplicate": _(
        "A staff member of the Académie's feed has this name at %(uai)s: they have an account "
        "already, and a feed record is never overwritten."
    ),
    "updates-existing": _(
        "Already entered by the city at %(uai)s: applying updates their role, schools, dates "
        "and e-mail."
    ),
}

ROLE_NAMES = "ATSEM, périscolaire, cantine, bibliothécaire, intervenant"
_ROLES = {
    "atsem": Staff.Role.ATSEM,
    "periscolaire": Staff.Role.AFTER_SCHOOL,
    "animateur": Staff.Role.AFTER_SCHOOL,
    "animatrice": Staff.Role.AFTER_SCHOOL,
    "cantine": Staff.Role.CANTEEN,
    "restauration": Staff.Role.CANTEEN,
    "bibliothecaire": Staff.Role.LIBRARIAN,
    "intervenant": Staff.Role.INTERVENOR,
    "intervenante": Staff.Role.INTERVENOR,
}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
_MAX = {"nom": 150, "prenom": 150, "civilite": 20, "email": 254}


@dataclass
class Finding:
    line: int
    level: str
    column: str
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])

    def as_dict(self) -> dict:
        return {"line": self.line, "level": self.level, "column": self.column,
                "code": self.code, "params": self.params}  # fmt: skip


def finding_message(data: dict) -> str:
    return Finding(**data).message


@dataclass
class CheckedRow:
    line: int
    values: dict = field(default_factory=dict)  # the Staff fields and "school_ids"
    findings: list[Finding] = field(default_factory=list)
    existing_id: int | None = None  # a city person this row updates

    @property
    def level(self) -> str:
        levels = {f.level for f in self.findings}
        return ERROR if ERROR in levels else WARNING if WARNING in levels else "ok"


def role_parse(value: str) -> str | None:
    if value in Staff.Role.values:
        return value
    return _ROLES.get(normalise_header(value).replace("_", ""))


def date_parse(value: str) -> datetime.date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def uais_parse(value: str) -> list[str]:
    return list(dict.fromkeys(u.upper() for u in re.split(r"[|+\s]+", value) if u))


def file_findings(parsed: ParsedFile) -> list[Finding]:
    return [
        Finding(0, ERROR, f.params.get("column", ""), f.code, f.params) for f in parsed.errors
    ] + [Finding(0, WARNING, f.params.get("column", ""), f.code, f.params) for f in parsed.warnings]


def rows_check(
    rows: list[dict],
    *,
    today: datetime.date,
    exclude_staff_id: int | None = None,
) -> list[CheckedRow]:
    """Each row's values and findings; the directory is read in three queries."""
    uais = {u for row in rows for u in uais_parse(row["cells"].get("uai", ""))}
    schools = selectors.schools_by_uai(uais)
    present = selectors.present_staff_by_school_and_name(s.pk for s in schools.values())
    seen: dict[tuple[str, str], list[tuple[int, set[int]]]] = {}
    checked = []
    for row in rows:
        result = CheckedRow(line=row["line"])
        checked.append(result)
        if "cell_count" in row:
            found, expected = row["cell_count"]
            result.findings.append(
                Finding(row["line"], ERROR, "", "cell-count",
                        {"found": found, "expected": expected})
            )  # fmt: skip
            continue
        _row_check(result, row["cells"], today, schools)
        if result.level == ERROR or not result.values.get("school_ids"):
            continue
        _duplicates_check(result, row["cells"], schools, present, seen, exclude_staff_id)
    return checked


def _row_check(result: CheckedRow, cells: dict, today, schools) -> None:
    line, values = result.line, result.values

    def error(column: str, code: str, level: str = ERROR, **params) -> None:
        result.findings.append(Finding(line, level, column, code, params))

    for column in ("nom", "prenom", "role", "uai", "date_debut", "date_fin"):
        if not cells.get(column, ""):
            error(column, "required")
    for column, limit in _MAX.items():
        if len(cells.get(column, "")) > limit:
            error(column, "too-long", max=limit)
    values["last_name"] = cells.get("nom", "")
    values["first_name"] = cells.get("prenom", "")
    values["civility"] = cells.get("civilite", "")
    if cells.get("role"):
        role = role_parse(cells["role"])
        if role is None:
            error("role", "unknown-role", roles=ROLE_NAMES)
        values["role"] = role
    school_ids = []
    for uai in uais_parse(cells.get("uai", "")):
        school = schools.get(uai)
        if school is None:
            error("uai", "unknown-school", uai=uai)
        elif school.left_at is not None:
            error("uai", "school-gone", uai=uai)
        else:
            school_ids.append(school.pk)
            if not school.ent_open:
                error("uai", "school-not-open", WARNING, uai=uai)
    values["school_ids"] = school_ids
    dates = {}
    for column in ("date_debut", "date_fin", "date_naissance"):
        if cells.get(column):
            dates[column] = date_parse(cells[column])
            if dates[column] is None:
                error(column, "bad-date")
    start, end = dates.get("date_debut"), dates.get("date_fin")
    if start and end and end < start:
        error("date_fin", "end-before-start")
    elif end and end < today:
        error("date_fin", "end-passed")
    values["start_date"], values["end_date"] = start, end
    values["birth_date"] = dates.get("date_naissance")
    email = cells.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error("email", "bad-email")
    values["email"] = email


def _duplicates_check(result, cells, schools, present, seen, exclude_staff_id) -> None:
    values = result.values
    name = selectors.name_key(values["last_name"], values["first_name"])
    birth = values["birth_date"].isoformat() if values["birth_date"] else ""
    school_ids = set(values["school_ids"])
    uai_of = {s.pk: s.uai for s in schools.values()}
    for line, earlier_schools in seen.get((name, birth), ()):
        if earlier_schools & school_ids:
            result.findings.append(
                Finding(result.line, ERROR, "nom", "duplicate-row", {"line": line})
            )
            return
    seen.setdefault((name, birth), []).append((result.line, school_ids))
    for school_id in sorted(school_ids, key=uai_of.get):
        staff = present.get((school_id, name))
        if staff is None or staff[0] == exclude_staff_id:
            continue
        staff_id, source = staff
        if source == Staff.Source.AAF:
            # Feed staff birth dates are not kept (minimisation): a name in the school decides.
            result.findings.append(
                Finding(result.line, ERROR, "nom", "feed-duplicate", {"uai": uai_of[school_id]})
            )
            return
        if result.existing_id is None:
            result.existing_id = staff_id
            result.findings.append(
                Finding(result.line, WARNING, "nom", "updates-existing", {"uai": uai_of[school_id]})
            )
