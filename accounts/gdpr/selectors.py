"""Reads of the data-protection module: the request register, match candidates, the audit
trail search, the rectification queue of directors. Scoping: the register, the audit trail and
the retention pages are the DPO's (city staff); rectification tasks follow `accounts.scope`.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import ActivationCode, RenewalRequest, User
from accounts.scope import Role, scope_for_user
from schools.models import Guardian, GuardianLink, Pupil, PupilClass, Staff, StaffAssignment

from .models import (
    AccessExport,
    DataRequest,
    DataRequestSubject,
    LegalHold,
    PersonKind,
    PurgeRun,
    RectificationTask,
)

DUE_SOON_DAYS = 7
PERSON_MODELS = {PersonKind.PUPIL: Pupil, PersonKind.GUARDIAN: Guardian, PersonKind.STAFF: Staff}


# --- the register ----------------------------------------------------------------------------


def is_dpo(user) -> bool:
    """The DPO role: city staff (the school service answers data requests)."""
    return scope_for_user(user).is_city


def data_request_urgency(request: DataRequest, *, today: datetime.date) -> str:
    """ "overdue", "due-soon" or "" for an open request."""
    if not request.is_open:
        return ""
    if request.due_on < today:
        return "overdue"
    if request.due_on <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return "due-soon"
    return ""


def data_request_list(*, state: str = "open", kind: str = "") -> QuerySet[DataRequest]:
    """The register: open requests first by due date; `state` is open, closed or all."""
    requests = DataRequest.objects.select_related("assignee", "school")
    if state == "open":
        requests = requests.filter(status__in=DataRequest.OPEN)
    elif state == "closed":
        requests = requests.exclude(status__in=DataRequest.OPEN)
    if kind:
        requests = requests.filter(kind=kind)
    return requests.order_by("closed_at", "due_on", "id")


def data_requests_due(*, today: datetime.date) -> list[DataRequest]:
    """Open requests overdue or due within DUE_SOON_DAYS, for the daily reminder."""
    limit = today + datetime.timedelta(days=DUE_SOON_DAYS)
    return list(
        DataRequest.objects.filter(status__in=DataRequest.OPEN, due_on__lte=limit)
        .select_related("assignee")
        .order_by("due_on", "id")
    )


def data_request_detail(*, pk: int) -> DataRequest:
    return DataRequest.objects.select_related("assignee", "school", "submitted_by").get(pk=pk)


def data_request_subjects(*, request: DataRequest) -> list[DataRequestSubject]:
    return list(
        request.subjects.select_related("pupil__school", "guardian", "staff").order_by("role", "id")
    )


def data_request_history(*, request: DataRequest) -> list[LogEntry]:
    """Every audit entry about the request and its notes, subjects, exports, rectifications."""
    from .models import DataRequestNote

    targets = [
        (DataRequest, [request.pk]),
        (DataRequestNote, list(request.notes.values_list("pk", flat=True))),
        (DataRequestSubject, list(request.subjects.values_list("pk", flat=True))),
        (AccessExport, list(request.exports.values_list("pk", flat=True))),
        (RectificationTask, list(request.rectifications.values_list("pk", flat=True))),
    ]
    return list(
        LogEntry.objects.filter(_targets_q(targets))
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:200]
    )


def city_staff_accounts() -> QuerySet[User]:
    return User.objects.filter(kind=User.Kind.CITY, is_active=True).order_by("login")


# --- matching --------------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """ "Léa N'Diaye" and "LEA NDIAYE" compare equal: no accents, case, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_ALNUM.sub("", plain.replace("œ", "oe").replace("æ", "ae"))


def _name_matches(typed: str, first: str, last: str, birth: str = "") -> bool:
    """The typed full name is first + last (or last + first), last being the name or birth name."""
    wanted = normalise(typed)
    if not wanted:
        return False
    return any(
        wanted in (normalise(first + name), normalise(name + first))
        for name in (last, birth)
        if name
    )


@dataclass
class PupilCandidate:
    pupil: Pupil
    birth_date_match: bool
    school_match: bool
    named: bool  # named in the request (else: another child of a candidate guardian)

    @property
    def exact(self) -> bool:
        return self.named and self.birth_date_match and self.school_match


@dataclass
class GuardianCandidate:
    guardian: Guardian
    name_match: bool
    email_match: bool
    account_match: bool
    # {pupil id: (legal, link present)} for the candidate pupils
    links: dict[int, tuple[int, bool]] = field(default_factory=dict)

    @property
    def identified(self) -> bool:
        return self.name_match or self.email_match or self.account_match


@dataclass
class StaffCandidate:
    staff: Staff
    name_match: bool
    email_match: bool
    account_match: bool
    birth_date_match: bool


@dataclass
class Candidates:
    pupils: list[PupilCandidate]
    guardians: list[GuardianCandidate]
    staff: list[StaffCandidate]

    @property
    def state(self) -> str:
        """none | ambiguous | partial | exact — only a human turns candidates into subjects."""
        named = [c for c in self.pupils if c.named]
        identified = [g for g in self.guardians if g.identified]
        staff = [s for s in self.staff if s.name_match or s.email_match or s.account_match]
        if not named and not staff:
            return "none"
        if len(named) > 1 or len(identified) > 1 or len(staff) > 1:
            return "ambiguous"
        if staff:
            return "exact" if staff[0].account_match or staff[0].email_match else "partial"
        if named[0].exact and identified:
            return "exact"
        return "partial"


def _child_candidates(request: DataRequest) -> list[Pupil]:
    first, last = request.child_first_name, request.child_last_name
    if not (first and last):
        return []
    pupils = Pupil.objects.select_related("school")
    if request.child_birth_date:
        pupils = pupils.filter(birth_date=request.child_birth_date)
    elif request.school_id:
        pupils = pupils.filter(school_id=request.school_id)
    else:
        return []
    return [
        p
        for p in pupils.order_by("id")
        if _name_matches(first + last, p.first_name, p.last_name, p.birth_name)
        or any(
            _name_matches(first + last, other, p.last_name, p.birth_name)
            for other in (p.other_first_names or [])
        )
    ]


def known_emails(person) -> set[str]:
    emails = {(getattr(person, "email", "") or "").strip().lower()}
    account = getattr(person, "account", None)
    if account is not None and account.email:
        emails.add(account.email.strip().lower())
    return emails - {""}


def data_request_candidates(*, request: DataRequest) -> Candidates:
    """Persons the request may be about, from names, birth date and school; never decided here."""
    email = (request.requester_email or "").strip().lower()
    if request.relation == DataRequest.Relation.STAFF:
        return Candidates(pupils=[], guardians=[], staff=_staff_candidates(request, email))
    named = _child_candidates(request)
    named_ids = {p.pk for p in named}
    links = list(
        GuardianLink.objects.filter(pupil_id__in=named_ids).select_related("guardian__account")
    )
    if request.submitted_by_id:
        links += list(
            GuardianLink.objects.filter(guardian__account_id=request.submitted_by_id)
            .exclude(pupil_id__in=named_ids)
            .select_related("guardian__account")
        )
    guardians: dict[int, GuardianCandidate] = {}
    for link in links:
        guardian = link.guardian
        candidate = guardians.get(guardian.pk)
        if candidate is None:
            candidate = guardians[guardian.pk] = GuardianCandidate(
                guardian=guardian,
                name_match=_name_matches(
                    request.requester_name,
                    guardian.first_name,
                    guardian.last_name,
                    guardian.birth_name,
                ),
                email_match=bool(email) and email in known_emails(guardian),
                account_match=bool(request.submitted_by_id)
                and guardian.account_id == request.submitted_by_id,
            )
        candidate.links[link.pupil_id] = (link.legal, link.left_at is None)
    # Other children of the identified guardians may be added by the DPO (never automatically).
    identified = [g.guardian.pk for g in guardians.values() if g.identified]
    others = list(
        Pupil.objects.filter(guardian_links__guardian_id__in=identified)
        .exclude(pk__in=named_ids)
        .select_related("school")
        .distinct()
        .order_by("id")
    )
    for link in GuardianLink.objects.filter(
        guardian_id__in=identified, pupil__in=[p.pk for p in others]
    ):
        guardians[link.guardian_id].links[link.pupil_id] = (link.legal, link.left_at is None)
    pupils = [
        PupilCandidate(
            pupil=p,
            birth_date_match=request.child_birth_date is not None
            and p.birth_date == request.child_birth_date,
            school_match=request.school_id is not None and p.school_id == request.school_id,
            named=p.pk in named_ids,
        )
        for p in [*named, *others]
    ]
    ordered = sorted(
        guardians.values(),
        key=lambda g: (not g.account_match, not g.name_match, not g.email_match, g.guardian.pk),
    )
    return Candidates(pupils=pupils, guardians=ordered, staff=[])


def _staff_candidates(request: DataRequest, email: str) -> list[StaffCandidate]:
    condition = Q(pk__in=[])
    if request.submitted_by_id:
        condition |= Q(account_id=request.submitted_by_id)
    if email:
        condition |= Q(email__iexact=email) | Q(account__email__iexact=email)
    tokens = [t for t in re.split(r"[\s'\u2019-]+", request.requester_name or "") if len(t) > 1]
    for token in tokens:
        condition |= Q(last_name__icontains=token) | Q(birth_name__icontains=token)
    result = []
    for staff in Staff.objects.filter(condition).select_related("account").order_by("id")[:50]:
        candidate = StaffCandidate(
            staff=staff,
            name_match=_name_matches(
                request.requester_name, staff.first_name, staff.last_name, staff.birth_name
            ),
            email_match=bool(email) and email in known_emails(staff),
            account_match=bool(request.submitted_by_id)
            and staff.account_id == request.submitted_by_id,
            birth_date_match=False,
        )
        if candidate.name_match or candidate.email_match or candidate.account_match:
            result.append(candidate)
    return result


def authority_link(*, guardian_id: int, pupil_id: int) -> GuardianLink | None:
    """The present link carrying parental authority (legal 1 or 2), if there is one."""
    return GuardianLink.objects.filter(
        guardian_id=guardian_id, pupil_id=pupil_id, legal__gt=0, left_at__isnull=True
    ).first()


# --- rectification tasks ---------------------------------------------------------------------


def rectification_tasks_for_user(*, user, status: str = "open") -> QuerySet[RectificationTask]:
    """City staff: every task; a director: their schools' tasks; anyone else: none."""
    scope = scope_for_user(user)
    tasks = RectificationTask.objects.select_related(
        "school", "pupil", "guardian", "staff", "request"
    )
    if status:
        tasks = tasks.filter(status=status)
    if scope.is_city:
        return tasks
    if Role.DIRECTOR in scope.roles:
        return tasks.filter(school_id__in=scope.school_ids)
    return tasks.none()


def rectification_school_id(*, person_kind: str, person) -> int | None:
    """The school whose director corrects this person in ONDE."""
    if person_kind == PersonKind.PUPIL:
        return person.school_id
    if person_kind == PersonKind.GUARDIAN:
        return (
            Pupil.objects.filter(guardian_links__guardian=person, guardian_links__legal__gt=0)
            .order_by("left_at", "id")
            .values_list("school_id", flat=True)
            .first()
        )
    return (
        StaffAssignment.objects.filter(staff=person)
        .order_by("-is_director", "id")
        .values_list("school_id", flat=True)
        .first()
    )


def school_director_recipients(*, school_id: int) -> list[tuple[int, str]]:
    """(account id, e-mail) of the present directors of a school who can be written to."""
    rows = []
    for staff in (
        Staff.objects.filter(
            left_at__isnull=True,
            assignments__school_id=school_id,
            assignments__is_director=True,
        )
        .select_related("account")
        .order_by("id")
    ):
        address = (staff.account.email if staff.account and staff.account.email else "") or (
            staff.email or ""
        )
        rows.append((staff.account_id, address))
    return rows


# --- persons, holds, purges ------------------------------------------------------------------


def person_get(*, kind: str, pk: int):
    return PERSON_MODELS[PersonKind(kind)].objects.select_related("account").get(pk=pk)


def legal_holds(*, active: bool = True) -> QuerySet[LegalHold]:
    holds = LegalHold.objects.select_related("pupil", "guardian", "staff", "placed_by")
    return holds.filter(lifted_at__isnull=True) if active else holds


def held_persons() -> set[tuple[str, int]]:
    return {
        (kind, pupil or guardian or staff)
        for kind, pupil, guardian, staff in LegalHold.objects.filter(
            lifted_at__isnull=True
        ).values_list("person_kind", "pupil_id", "guardian_id", "staff_id")
    }


def purge_runs() -> QuerySet[PurgeRun]:
    return PurgeRun.objects.select_related("performed_by").prefetch_related("receipts")


def convention_terminated() -> bool:
    """True once the convention's termination destroyed the data (imports should then stop)."""
    return PurgeRun.objects.filter(
        kind=PurgeRun.Kind.TERMINATION, status=PurgeRun.Status.DONE
    ).exists()


# --- the audit trail -------------------------------------------------------------------------


def _targets_q(targets: list[tuple[type, list[int]]]) -> Q:
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
        from schools.models import StaffClass

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
        entries = entries.filter(_targets_q(targets))
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
