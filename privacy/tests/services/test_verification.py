"""Finding 1: a name never identifies a requester; nothing is disclosed before a verification
tying the requester to the guardian's record is recorded; the export link works once."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.audit import Event
from entaix.common.exceptions import ApplicationError
from entaix.tests import factories
from entaix.tests.factories import account
from privacy import forms, selectors, services
from privacy.models import AccessExport, DataRequestSubject
from privacy.services import export
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db

Method = DataRequestSubject.Verification


def _confirm(request, family, actor):
    services.data_request_subjects_confirm(
        data_request=request, actor=actor, guardian_id=family.mother.pk, pupil_ids=[family.lea.pk]
    )


def test_a_homonym_with_another_address_is_no_match_and_nothing_is_preselected(family):
    # Another Aïssatou N'Diaye (or an impostor) names Léa, with an address the feed does not hold.
    request = file_request(family, requester_email="a.ndiaye@autre.fr")
    candidates = selectors.data_request_candidates(data_request=request)
    mother = next(g for g in candidates.guardians if g.guardian == family.mother)
    assert (mother.name_match, mother.email_match, mother.account_match) == (True, False, False)
    assert mother.identified is False
    assert mother.name_only is True
    assert mother.email_mismatch is True
    assert candidates.state == "partial"
    form = forms.SubjectsForm(candidates=candidates)
    assert form.initial == {}


def test_the_feed_address_makes_an_exact_match_without_warning(family):
    request = file_request(family)
    candidates = selectors.data_request_candidates(data_request=request)
    mother = next(g for g in candidates.guardians if g.guardian == family.mother)
    assert (mother.identified, mother.name_only, mother.email_mismatch) == (True, False, False)
    assert candidates.state == "exact"


def test_a_homonym_guardian_of_another_family_is_shown_as_such(family):
    # The requester's own child is not in the feed; a namesake mother is, with her own child.
    namesake = factories.GuardianFactory(
        first_name="Aïssatou", last_name="N'Diaye", email="autre.aissatou@example.fr"
    )
    other_lea = factories.PupilFactory(
        school=family.school,
        first_name="Léa",
        last_name="N'Diaye",
        birth_date=family.lea.birth_date,
    )
    factories.link(other_lea, namesake, legal=1, relation="mother")
    request = file_request(family, requester_email="aissatou@example.fr")
    candidates = selectors.data_request_candidates(data_request=request)
    by_pk = {g.guardian.pk: g for g in candidates.guardians}
    assert by_pk[namesake.pk].name_only is True
    assert by_pk[namesake.pk].identified is False
    assert by_pk[family.mother.pk].identified is True
    assert candidates.state == "ambiguous"
    assert forms.SubjectsForm(candidates=candidates).initial == {}


def test_no_export_before_a_verification_and_a_status_change_does_not_bypass_it(family, city_user):
    request = file_request(family, requester_email="a.ndiaye@autre.fr")
    _confirm(request, family, city_user)
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unverified"
    services.data_request_status_set(
        data_request=request, status="identity-check", actor=city_user, reason="unknown address"
    )
    services.data_request_status_set(data_request=request, status="in-progress", actor=city_user)
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unverified"
    # The typed address is not the feed's nor the account's: that method cannot be recorded.
    for method in (Method.EMAIL_FEED, Method.EMAIL_ACCOUNT, Method.LOGGED_IN):
        with pytest.raises(ApplicationError) as exc:
            services.data_request_requester_verify(
                data_request=request, method=method, actor=city_user
            )
        assert exc.value.code == "verification-mismatch"
    assert AccessExport.objects.count() == 0
    assert not LogEntry.objects.filter(additional_data__event=Event.REQUESTER_VERIFIED).exists()


def test_an_identity_document_checked_by_the_dpo_is_recorded_then_the_export_is_made(
    family, city_user
):
    request = file_request(family, requester_email="a.ndiaye@autre.fr")
    _confirm(request, family, city_user)
    with pytest.raises(ApplicationError) as exc:
        services.data_request_requester_verify(
            data_request=request, method=Method.ID_DOCUMENT, actor=city_user, note=" "
        )
    assert exc.value.code == "verification-note"
    subject = services.data_request_requester_verify(
        data_request=request, method=Method.ID_DOCUMENT, actor=city_user, note="carte d'identité"
    )
    assert (subject.verification_method, subject.verified_by, subject.verification_note) == (
        "id-document",
        city_user,
        "carte d'identité",
    )
    assert subject.verified_at is not None
    entry = LogEntry.objects.get(additional_data__event=Event.REQUESTER_VERIFIED)
    assert entry.additional_data["method"] == "id-document"
    assert entry.actor == city_user
    made = export.access_export_create(data_request=request, actor=city_user)
    assert AccessExport.objects.filter(pk=made.pk).count() == 1


def test_the_feed_address_and_the_guardians_own_account_are_methods(family, city_user):
    request = file_request(family)
    _confirm(request, family, city_user)
    subject = services.data_request_requester_verify(
        data_request=request, method=Method.EMAIL_FEED, actor=city_user
    )
    assert subject.verification_method == "email-feed"
    mother = account(family.mother)
    logged = file_request(family, requester_email="x@autre.fr", submitted_by=mother)
    _confirm(logged, family, city_user)
    subject = services.data_request_requester_verify(
        data_request=logged, method=Method.LOGGED_IN, actor=city_user
    )
    assert subject.verification_method == "logged-in"


def test_confirming_other_subjects_drops_the_verification(family, city_user):
    request = file_request(family)
    _confirm(request, family, city_user)
    services.data_request_requester_verify(
        data_request=request, method=Method.EMAIL_FEED, actor=city_user
    )
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.father.pk,
        pupil_ids=[family.lea.pk],
    )
    with pytest.raises(ApplicationError) as exc:
        export.access_export_create(data_request=request, actor=city_user)
    assert exc.value.code == "unverified"


def test_the_export_link_works_for_one_download_then_refuses(family, city_user, client):
    request = file_request(family)
    _confirm(request, family, city_user)
    services.data_request_requester_verify(
        data_request=request, method=Method.EMAIL_FEED, actor=city_user
    )
    made = export.access_export_create(data_request=request, actor=city_user)
    url = reverse("privacy:export-download", args=[export.export_token(made)])
    first = client.post(url, REMOTE_ADDR="203.0.113.7")
    assert first.status_code == 200
    b"".join(first.streaming_content)
    second = client.post(url, REMOTE_ADDR="198.51.100.9")
    assert second.status_code == 410
    made.refresh_from_db()
    assert made.download_count == 1
    entries = LogEntry.objects.filter(additional_data__event=Event.EXPORT_DOWNLOADED)
    assert [(e.remote_addr, e.timestamp is not None) for e in entries] == [("203.0.113.7", True)]
