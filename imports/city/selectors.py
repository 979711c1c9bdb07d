"""Reads for the people outside the feed: the list, the imports, and what the checks compare
rows with (schools by UAI, present staff by school and name)."""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from entaix.common.text import fold
from imports.models import CityPersonImport
from schools.models import School, Staff, StaffAssignment


def name_key(last_name: str, first_name: str) -> str:
    """A name as compared for duplicates: folded as everywhere (entaix.common.text.fold: no
    accents, case or ligatures), hyphens, apostrophes and doubled spaces as one space."""
    text = fold(f"{last_name}\x1f{first_name}")
    for char in "-'\u2019.":
        text = text.replace(char, " ")
    return "\x1f".join(" ".join(part.split()) for part in text.split("\x1f"))


def schools_by_uai(uais: Iterable[str]) -> dict[str, School]:
    return {s.uai: s for s in School.objects.filter(uai__in=sorted(set(uais)))}


def present_staff_by_school_and_name(
    school_ids: Iterable[int],
) -> dict[tuple[int, str], tuple[int, str]]:
    """(school id, name key) → (staff id, source) of every present staff member of these
    schools: a CSV row with the same name in the same school is the same person."""
    result = {}
    rows = StaffAssignment.objects.filter(
        school_id__in=sorted(set(school_ids)), staff__left_at__isnull=True
    ).values_list("school_id", "staff_id", "staff__source", "staff__last_name", "staff__first_name")
    for school_id, staff_id, source, last, first in rows.order_by("staff_id"):
        result.setdefault((school_id, name_key(last, first)), (staff_id, source))
    return result


def city_person_list(*, present: bool = True) -> QuerySet[Staff]:
    people = Staff.objects.filter(source=Staff.Source.CITY, left_at__isnull=present)
    return (
        people.select_related("account")
        .prefetch_related(Prefetch("assignments", StaffAssignment.objects.select_related("school")))
        .order_by("last_name", "first_name", "pk")
    )


def city_person_get(*, pk: int) -> Staff | None:
    return (
        Staff.objects.filter(source=Staff.Source.CITY, pk=pk)
        .prefetch_related("assignments__school")
        .first()
    )


def city_person_import_list(*, limit: int = 10) -> list[CityPersonImport]:
    return list(
        CityPersonImport.objects.select_related("requested_by").defer("rows", "findings")[:limit]
    )


def city_person_import_get(*, pk: int) -> CityPersonImport | None:
    imports = CityPersonImport.objects.select_related("requested_by", "decided_by")
    return imports.filter(pk=pk).first()
