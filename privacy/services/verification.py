"""Who a request is about and who makes it: the DPO confirms the subjects matched in the
directory.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import Event
from entaix.common.exceptions import ApplicationError
from privacy import selectors
from privacy.models import (
    DataRequest,
    DataRequestSubject,
    PersonKind,
)
from privacy.services.requests import _audit, _require_open

Status = DataRequest.Status
logger = logging.getLogger(__name__)


@transaction.atomic
def data_request_subjects_confirm(
    *,
    request: DataRequest,
    actor,
    guardian_id: int | None = None,
    pupil_ids: Iterable[int] = (),
    staff_id: int | None = None,
) -> DataRequest:
    """A human confirms who the request is about, among the candidates only.

    A child over whom the confirmed guardian holds no present parental authority (legal 1 or 2)
    is not attached and the request is flagged: nothing about that child is ever disclosed.
    """
    _require_open(request)
    pupil_ids = sorted(set(pupil_ids))
    candidates = selectors.data_request_candidates(request=request)
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
    request.subjects.all().delete()
    subjects = []
    if guardian_id is not None:
        subjects.append(
            DataRequestSubject(
                request=request,
                role=DataRequestSubject.Role.REQUESTER,
                person_kind=PersonKind.GUARDIAN,
                guardian_id=guardian_id,
                confirmed_by=actor,
            )
        )
    if staff_id is not None:
        subjects.append(
            DataRequestSubject(
                request=request,
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
            request=request,
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
        request.flag = DataRequest.Flag.NOT_GUARDIAN
        _audit(Event.REQUEST_FLAGGED, request, actor, flag=request.flag, pupils=len(refused))
        logger.warning("data request %s flagged: requester not a legal guardian", request.pk)
    else:
        request.flag = DataRequest.Flag.NONE
    if request.status == Status.RECEIVED:
        request.status = Status.IN_PROGRESS
    request.save(update_fields=["flag", "status", "updated_at"])
    _audit(Event.REQUEST_SUBJECTS, request, actor, subjects=[s.pk for s in subjects])
    return request
