"""Who a request is about and who makes it: the DPO confirms the subjects matched in the
directory.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Event
from accounts.models import User
from entaix.common.exceptions import ApplicationError
from privacy import selectors
from privacy.models import (
    DataRequest,
    DataRequestSubject,
)
from privacy.services.requests import _audit, _require_open
from schools.kinds import PersonKind

Status = DataRequest.Status
logger = logging.getLogger(__name__)


@transaction.atomic
def data_request_subjects_confirm(
    *,
    data_request: DataRequest,
    actor: User,
    guardian_id: int | None = None,
    pupil_ids: Iterable[int] = (),
    staff_id: int | None = None,
) -> DataRequest:
    """A human confirms who the request is about, among the candidates only.

    A child over whom the confirmed guardian holds no present parental authority (legal 1 or 2)
    is not attached and the request is flagged: nothing about that child is ever disclosed.
    """
    _require_open(data_request)
    pupil_ids = sorted(set(pupil_ids))
    candidates = selectors.data_request_candidates(data_request=data_request)
    guardian_ids = {g.guardian.pk for g in candidates.guardians}
    allowed_pupils = {p.pupil.pk for p in candidates.pupils}
    staff_ids = {s.staff.pk for s in candidates.staff}
    if guardian_id is not None and guardian_id not in guardian_ids:
        raise ApplicationError(_("Choose the requester among the candidates."), code="candidate")
    if staff_id is not None and staff_id not in staff_ids:
        raise ApplicationError(_("Choose the requester among the candidates."), code="candidate")
    if any(pk not in allowed_pupils for pk in pupil_ids):
        raise ApplicationError(_("Choose the children among the candidates."), code="candidate")
    if pupil_ids and guardian_id is None:
        raise ApplicationError(_("Confirm the requester (a guardian) first."), code="candidate")
    if guardian_id is None and staff_id is None:
        raise ApplicationError(_("Confirm who the requester is."), code="candidate")
    data_request.subjects.all().delete()
    subjects = []
    if guardian_id is not None:
        subjects.append(
            DataRequestSubject(
                request=data_request,
                role=DataRequestSubject.Role.REQUESTER,
                person_kind=PersonKind.GUARDIAN,
                guardian_id=guardian_id,
                confirmed_by=actor,
            )
        )
    if staff_id is not None:
        subjects.append(
            DataRequestSubject(
                request=data_request,
                role=DataRequestSubject.Role.REQUESTER,
                person_kind=PersonKind.STAFF,
                staff_id=staff_id,
                confirmed_by=actor,
            )
        )
    refused = [
        pk
        for pk in pupil_ids
        if selectors.authority_link(guardian_id=guardian_id, pupil_id=pk) is None
    ]
    subjects += [
        DataRequestSubject(
            request=data_request,
            role=DataRequestSubject.Role.CHILD,
            person_kind=PersonKind.PUPIL,
            pupil_id=pk,
            confirmed_by=actor,
        )
        for pk in pupil_ids
        if pk not in refused
    ]
    for subject in subjects:
        subject.save()  # one by one: each is audited
    if refused:
        data_request.flag = DataRequest.Flag.NOT_GUARDIAN
        _audit(
            Event.REQUEST_FLAGGED, data_request, actor, flag=data_request.flag, pupils=len(refused)
        )
        logger.warning("data request %s flagged: requester not a legal guardian", data_request.pk)
    else:
        data_request.flag = DataRequest.Flag.NONE
    if data_request.status == Status.RECEIVED:
        data_request.status = Status.IN_PROGRESS
    data_request.save(update_fields=["flag", "status", "updated_at"])
    _audit(Event.REQUEST_SUBJECTS, data_request, actor, subjects=[s.pk for s in subjects])
    return data_request


Verification = DataRequestSubject.Verification
# Methods the DPO attests by hand: who checked and when are recorded, with what was seen.
_ATTESTED = {Verification.ID_DOCUMENT, Verification.IN_PERSON}


def _method_holds(data_request: DataRequest, person, method: str) -> bool:
    """Whether the recorded facts tie the requester to this directory record."""
    typed = (data_request.requester_email or "").strip().lower()
    account = getattr(person, "account", None)
    if method == Verification.EMAIL_FEED:
        return bool(typed) and typed == (person.email or "").strip().lower()
    if method == Verification.EMAIL_ACCOUNT:
        return (
            bool(typed)
            and account is not None
            and account.has_confirmed_email
            and typed == account.email.strip().lower()
        )
    if method == Verification.LOGGED_IN:
        return (
            bool(data_request.submitted_by_id) and data_request.submitted_by_id == person.account_id
        )
    return method in _ATTESTED


@transaction.atomic
def data_request_requester_verify(
    *, data_request: DataRequest, method: str, actor: User, note: str = ""
) -> DataRequestSubject:
    """Record how the confirmed requester was verified; the only way to open disclosure.

    E-mail and account methods are checked against the record (a mismatch is refused); an
    identity document or a visit in person is attested by the DPO, with what was seen.
    """
    _require_open(data_request)
    if method not in Verification.values:
        raise ApplicationError(_("Choose a verification method."), code="verification-method")
    subject = (
        data_request.subjects.select_for_update()
        .filter(role=DataRequestSubject.Role.REQUESTER)
        .exclude(guardian__isnull=True, staff__isnull=True)
        .first()
    )
    if subject is None:
        raise ApplicationError(_("Confirm who the requester is first."), code="unmatched")
    note = note.strip()
    if method in _ATTESTED and not note:
        raise ApplicationError(
            _("Say which document was checked, or where the person was seen."),
            code="verification-note",
        )
    if not _method_holds(data_request, subject.person, method):
        raise ApplicationError(
            _("This method does not tie the requester to this person: choose another."),
            code="verification-mismatch",
        )
    subject.verification_method = method
    subject.verification_note = note
    subject.verified_at = timezone.now()
    subject.verified_by = actor
    subject.save(
        update_fields=[
            "verification_method",
            "verification_note",
            "verified_at",
            "verified_by",
            "updated_at",
        ]
    )
    _audit(Event.REQUESTER_VERIFIED, data_request, actor, method=method, subject=subject.pk)
    logger.info("data request %s: requester verified (%s)", data_request.pk, method)
    return subject
