"""Matching: directory persons a request may be about. Candidates only: a name never identifies
a requester (verification is recorded separately).
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from entaix.common.text import fold
from privacy.models import (
    DataRequest,
)
from schools.models import Guardian, GuardianLink, Pupil, Staff

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """ "Léa N'Diaye" and "LEA NDIAYE" compare equal: no accents, case, spaces or punctuation."""
    return _NOT_ALNUM.sub("", fold(text))


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

    # The typed address is not one the feed or the account holds for this guardian.
    email_mismatch: bool = False

    @property
    def identified(self) -> bool:
        """Tied to the requester by the e-mail held or their own account — never by a name."""
        return self.email_match or self.account_match

    @property
    def name_only(self) -> bool:
        """Same name, nothing else: maybe a homonym (another person), maybe an impostor."""
        return self.name_match and not self.identified


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


def _child_candidates(data_request: DataRequest) -> list[Pupil]:
    first, last = data_request.child_first_name, data_request.child_last_name
    if not (first and last):
        return []
    pupils = Pupil.objects.select_related("school")
    if data_request.child_birth_date:
        pupils = pupils.filter(birth_date=data_request.child_birth_date)
    elif data_request.school_id:
        pupils = pupils.filter(school_id=data_request.school_id)
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


def data_request_candidates(*, data_request: DataRequest) -> Candidates:
    """Persons the request may be about, from names, birth date and school; never decided here."""
    email = (data_request.requester_email or "").strip().lower()
    if data_request.relation == DataRequest.Relation.STAFF:
        return Candidates(pupils=[], guardians=[], staff=_staff_candidates(data_request, email))
    named = _child_candidates(data_request)
    named_ids = {p.pk for p in named}
    links = list(
        GuardianLink.objects.filter(pupil_id__in=named_ids).select_related("guardian__account")
    )
    if data_request.submitted_by_id:
        links += list(
            GuardianLink.objects.filter(guardian__account_id=data_request.submitted_by_id)
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
                    data_request.requester_name,
                    guardian.first_name,
                    guardian.last_name,
                    guardian.birth_name,
                ),
                email_match=bool(email) and email in known_emails(guardian),
                account_match=bool(data_request.submitted_by_id)
                and guardian.account_id == data_request.submitted_by_id,
            )
            candidate.email_mismatch = (
                candidate.name_match and not candidate.email_match and bool(known_emails(guardian))
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
            birth_date_match=data_request.child_birth_date is not None
            and p.birth_date == data_request.child_birth_date,
            school_match=data_request.school_id is not None
            and p.school_id == data_request.school_id,
            named=p.pk in named_ids,
        )
        for p in [*named, *others]
    ]
    ordered = sorted(
        guardians.values(),
        key=lambda g: (not g.account_match, not g.name_match, not g.email_match, g.guardian.pk),
    )
    return Candidates(pupils=pupils, guardians=ordered, staff=[])


def _staff_candidates(data_request: DataRequest, email: str) -> list[StaffCandidate]:
    condition = Q(pk__in=[])
    if data_request.submitted_by_id:
        condition |= Q(account_id=data_request.submitted_by_id)
    if email:
        condition |= Q(email__iexact=email) | Q(account__email__iexact=email)
    tokens = [
        t for t in re.split(r"[\s'\u2019-]+", data_request.requester_name or "") if len(t) > 1
    ]
    for token in tokens:
        condition |= Q(last_name__icontains=token) | Q(birth_name__icontains=token)
    result = []
    for staff in Staff.objects.filter(condition).select_related("account").order_by("id")[:50]:
        candidate = StaffCandidate(
            staff=staff,
            name_match=_name_matches(
                data_request.requester_name, staff.first_name, staff.last_name, staff.birth_name
            ),
            email_match=bool(email) and email in known_emails(staff),
            account_match=bool(data_request.submitted_by_id)
            and staff.account_id == data_request.submitted_by_id,
            birth_date_match=False,
        )
        if candidate.name_match or candidate.email_match or candidate.account_match:
            result.append(candidate)
    return result


def authority_link(*, guardian_id: int | None, pupil_id: int) -> GuardianLink | None:
    """The link carrying parental authority (legal 1 or 2), if there is one: present, or ended
    because the child left (both are still held until the retention rule removes them, and
    the parent keeps their rights over them). A link ended while the child stays — authority
    withdrawn — gives none. No guardian (a requester not matched to one): none."""
    if guardian_id is None:
        return None
    return (
        GuardianLink.objects.filter(guardian_id=guardian_id, pupil_id=pupil_id, legal__gt=0)
        .filter(Q(left_at__isnull=True) | Q(pupil__left_at__isnull=False))
        .first()
    )
