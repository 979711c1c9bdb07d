"""The audit trail about a person: which objects concern them, and the DPO's search."""

import datetime
import re
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import ActivationCode, RenewalRequest, User
from privacy.models import (
    LegalHold,
    PersonKind,
)
from privacy.persons import PERSON_MODELS
from schools.models import GuardianLink, PupilClass, StaffAssignment, StaffClass


def targets_q(targets: list[tuple[type, list[int]]]) -> Q:
    condition = Q(pk__in=[])
    for model, ids in targets:
        if ids:
            content_type = ContentType.objects.get_for_model(model)
            condition |= Q(content_type=content_type, object_id__in=ids)
    return condition


def person_audit_targets(*, kind: str, person) -> list[tuple[type, list[int]]]:
    """Every object whose audit entries are about this person: row, account, links, codes…"""
    model = PERSON_MODELS[PersonKind(kind)]
    targets: list[tuple[type, list[int]]] = [(model, [person.pk])]
    if person.account_id:
        targets += [
            (User, [person.account_id]),
            (
                ActivationCode,
                list(
                    ActivationCode.objects.filter(account_id=person.account_id).values_list(
                        "pk", flat=True
                    )
                ),
            ),
            (
                RenewalRequest,
                list(
                    RenewalRequest.objects.filter(account_id=person.account_id).values_list(
                        "pk", flat=True
                    )
                ),
            ),
        ]
    if kind == PersonKind.PUPIL:
        targets += [
            (GuardianLink, list(person.guardian_links.values_list("pk", flat=True))),
            (PupilClass, list(person.class_links.values_list("pk", flat=True))),
        ]
    elif kind == PersonKind.GUARDIAN:
        targets.append((GuardianLink, list(person.pupil_links.values_list("pk", flat=True))))
    else:
        targets += [
            (StaffAssignment, list(person.assignments.values_list("pk", flat=True))),
            (
                StaffClass,
                list(StaffClass.objects.filter(staff=person).values_list("pk", flat=True)),
            ),
        ]
    targets.append(
        (
            LegalHold,
            list(LegalHold.objects.filter(**{kind: person}).values_list("pk", flat=True)),
        )
    )
    return targets


def persons_matching(*, query: str, limit: int = 20) -> list[tuple[str, object]]:
    """(kind, person) whose name or login contains the query, or `kind:id` exactly."""
    query = query.strip()
    exact = re.fullmatch(r"(pupil|guardian|staff):(\d+)", query)
    if exact:
        model = PERSON_MODELS[PersonKind(exact[1])]
        person = model.objects.filter(pk=int(exact[2])).first()
        return [(exact[1], person)] if person else []
    if len(query) < 2:
        return []
    condition = (
        Q(last_name__icontains=query)
        | Q(first_name__icontains=query)
        | Q(birth_name__icontains=query)
        | Q(account__login__icontains=query)
    )
    found = []
    for kind, model in PERSON_MODELS.items():
        found += [(str(kind), p) for p in model.objects.filter(condition).order_by("id")[:limit]]
    return found


@dataclass
class AuditSearch:
    person: str = ""
    actor: str = ""
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def audit_entries_search(*, search: AuditSearch) -> QuerySet[LogEntry]:
    """LogEntry rows by person (name, login or kind:id), actor login, action or event, dates.

    A fixed number of queries whatever the page size: the person is resolved first (a few
    queries), then one filtered, joined query pages the entries.
    """
    entries = LogEntry.objects.select_related("actor", "content_type")
    if search.person:
        targets = []
        for kind, person in persons_matching(query=search.person):
            targets += person_audit_targets(kind=kind, person=person)
        entries = entries.filter(targets_q(targets))
    if search.actor:
        entries = entries.filter(actor__login__icontains=search.actor.strip())
    if search.action:
        if search.action.isdigit():
            entries = entries.filter(action=int(search.action))
        else:
            entries = entries.filter(additional_data__event=search.action)
    tz = timezone.get_current_timezone()
    if search.date_from:
        start = datetime.datetime.combine(search.date_from, datetime.time.min, tzinfo=tz)
        entries = entries.filter(timestamp__gte=start)
    if search.date_to:
        end = datetime.datetime.combine(
            search.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        entries = entries.filter(timestamp__lt=end)
    return entries.order_by("-timestamp", "-id")
