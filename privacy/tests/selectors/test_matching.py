"""Candidates from name, birth date and school; a human confirms; doubt never exports."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from entaix.common.exceptions import ApplicationError
from entaix.tests import factories
from privacy import selectors, services
from privacy.models import AccessExport, DataRequest, DataRequestSubject
from privacy.services import export
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db


def no_export_written(private_dirs) -> bool:
    exports = private_dirs / "media" / "private" / "gdpr" / "exports"
    return AccessExport.objects.count() == 0 and not (exports.exists() and any(exports.iterdir()))


def test_exact_match_whatever_the_accents_and_case(family):
    request = file_request(family, child_first_name="LEA", child_last_name="ndiaye")
    candidates = selectors.data_request_candidates(data_request=request)
    assert candidates.state == "exact"
    named = [c for c in candidates.pupils if c.named]
    assert [c.pupil for c in named] == [family.lea]
    assert named[0].birth_date_match and named[0].school_match and named[0].exact
    # The requester's other child is offered, never chosen automatically.
    assert [c.pupil for c in candidates.pupils if not c.named] == [family.tom]
    first = candidates.guardians[0]
    assert first.guardian == family.mother
    assert (first.name_match, first.email_match, first.account_match) == (True, True, False)
    assert first.links == {family.lea.pk: (1, True), family.tom.pk: (1, True)}
    others = {g.guardian: g.identified for g in candidates.guardians[1:]}
    assert others == {family.father: False, family.grandmother: False}
    # Proposed only: nothing is confirmed, nothing can be exported.
    assert DataRequestSubject.objects.count() == 0
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=None)
    assert exc.value.code == "unmatched"


def test_confirmed_match_exports(family, city_user):
    request = file_request(family)
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    request.refresh_from_db()
    assert request.flag == "" and request.status == "in-progress"
    subjects = {(s.role, s.person_kind, s.person.pk) for s in request.subjects.all()}
    assert subjects == {
        ("requester", "guardian", family.mother.pk),
        ("child", "pupil", family.lea.pk),
    }
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    item = export.access_export_create(data_request=request, actor=city_user)
    assert AccessExport.objects.get() == item


def test_ambiguous_request_never_exports(family, city_user, private_dirs):
    twin = factories.PupilFactory(
        school=family.other,
        first_name="Léa",
        last_name="N'Diaye",
        birth_date=datetime.date(2018, 3, 4),
    )
    request = file_request(family, school=None)
    candidates = selectors.data_request_candidates(data_request=request)
    assert sorted(c.pupil.pk for c in candidates.pupils if c.named) == sorted(
        [family.lea.pk, twin.pk]
    )
    assert candidates.state == "ambiguous"
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unmatched"
    assert no_export_written(private_dirs)
    assert not LogEntry.objects.filter(additional_data__event="gdpr-export-created").exists()


def test_unmatched_request_never_exports(family, city_user, private_dirs):
    request = file_request(family, child_first_name="Inconnue", child_last_name="Personne")
    candidates = selectors.data_request_candidates(data_request=request)
    assert candidates.state == "none" and candidates.pupils == [] and candidates.guardians == []
    with pytest.raises(ApplicationError):
        services.data_request_subjects_confirm(
            data_request=request,
            actor=city_user,
            guardian_id=family.mother.pk,
            pupil_ids=[family.lea.pk],
        )
    assert DataRequestSubject.objects.count() == 0
    with pytest.raises(ApplicationError):
        export.access_export_create(data_request=request, actor=city_user)
    assert no_export_written(private_dirs)


def test_requester_without_parental_authority_is_flagged_and_nothing_disclosed(
    family, city_user, private_dirs
):
    request = file_request(
        family, requester_name="Fatou Sow", requester_email="fatou.sow@example.fr"
    )
    candidates = selectors.data_request_candidates(data_request=request)
    grandmother = next(g for g in candidates.guardians if g.guardian == family.grandmother)
    assert grandmother.name_match and grandmother.links[family.lea.pk] == (0, True)
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.grandmother.pk,
        pupil_ids=[family.lea.pk],
    )
    request.refresh_from_db()
    assert request.flag == DataRequest.Flag.NOT_GUARDIAN
    # The child is not attached: nothing about her can leave.
    assert list(request.subjects.values_list("role", "person_kind")) == [("requester", "guardian")]
    assert (
        LogEntry.objects.filter(
            additional_data__event="gdpr-request-flagged", object_id=request.pk
        ).count()
        == 1
    )
    # Her own data only (test_access_after_leaving): nothing about the child can leave.
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    item = export.access_export_create(data_request=request, actor=city_user)
    assert [s.role for s in item.request.subjects.all()] == ["requester"]


def test_authority_lost_after_confirmation_stops_the_export(family, city_user, private_dirs):
    request = file_request(family)
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    family.lea.guardian_links.filter(guardian=family.mother).update(left_at=timezone.now())
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "not-guardian"
    assert no_export_written(private_dirs)


def test_only_candidates_can_be_confirmed(family, city_user):
    stranger = factories.PupilFactory(school=family.school, first_name="Autre", last_name="Enfant")
    request = file_request(family)
    with pytest.raises(ApplicationError):
        services.data_request_subjects_confirm(
            data_request=request,
            actor=city_user,
            guardian_id=family.mother.pk,
            pupil_ids=[stranger.pk],
        )
    assert DataRequestSubject.objects.count() == 0


def test_staff_member_about_themselves(family, city_user):
    director = family.director
    request = file_request(
        family,
        relation="staff",
        requester_name=f"{director.first_name} {director.last_name}",
        requester_email="DIR.SEXTIUS@ac-aix-marseille.fr",
        child_first_name="",
        child_last_name="",
        child_birth_date=None,
        school=None,
    )
    candidates = selectors.data_request_candidates(data_request=request)
    assert [c.staff for c in candidates.staff] == [director]
    assert candidates.staff[0].email_match and candidates.staff[0].name_match
    assert candidates.state == "exact"
    services.data_request_subjects_confirm(
        data_request=request, actor=city_user, staff_id=director.pk
    )
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    item = export.access_export_create(data_request=request, actor=city_user)
    assert item.size > 0


def test_an_unknown_email_address_needs_an_identity_check_before_any_export(
    family, city_user, private_dirs
):
    request = file_request(family, requester_email="someone.else@example.net")
    candidates = selectors.data_request_candidates(data_request=request)
    assert candidates.guardians[0].guardian == family.mother
    assert (candidates.guardians[0].name_match, candidates.guardians[0].email_match) == (
        True,
        False,
    )
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unverified"
    services.data_request_status_set(
        data_request=request, status="identity-check", actor=city_user,
        reason="Adresse e-mail inconnue de l'école",
    )  # fmt: skip
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unverified"
    assert no_export_written(private_dirs)
    # Moving the status on opens nothing (finding 1): only a recorded verification does.
    services.data_request_status_set(data_request=request, status="in-progress", actor=city_user)
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unverified"
    assert no_export_written(private_dirs)
    # Checked (a copy of the family record book came by post): the export may be built.
    services.data_request_requester_verify(
        data_request=request, method="id-document", actor=city_user, note="livret de famille"
    )
    assert export.access_export_create(data_request=request, actor=city_user).size > 0
