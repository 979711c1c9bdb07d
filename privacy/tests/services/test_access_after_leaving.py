"""Finding 5: a person keeps their rights over what is held about them, links that ended
included: a child who left is still held until the year's end, and so is disclosed to the
parent who held authority; a requester without authority still gets their own data."""

import datetime
import io
import json
import zipfile

import pytest
from django.utils import timezone

from privacy import services
from privacy.services import export
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db


def _persons(item) -> list[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(item.file.read())) as archive:
        doc = json.loads(archive.read("data.json"))
    return [(p["kind"], p["role"]) for p in doc["persons"]]


def test_a_child_who_left_in_november_is_still_disclosed_to_her_mother(family, city_user):
    left = timezone.make_aware(datetime.datetime(2026, 11, 10))
    family.lea.left_at = left
    family.lea.save(update_fields=["left_at"])
    family.lea.guardian_links.update(left_at=left)
    request = file_request(family)
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    request.refresh_from_db()
    assert request.flag == ""
    assert sorted(request.subjects.values_list("role", flat=True)) == ["child", "requester"]
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    item = export.access_export_create(data_request=request, actor=city_user)
    assert _persons(item) == [("guardian", "requester"), ("pupil", "child")]


def test_a_requester_without_authority_still_gets_her_own_data(family, city_user):
    request = file_request(
        family, requester_name="Fatou Sow", requester_email="fatou.sow@example.fr"
    )
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.grandmother.pk,
        pupil_ids=[family.lea.pk],
    )
    request.refresh_from_db()
    assert request.flag == "not-guardian"
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    item = export.access_export_create(data_request=request, actor=city_user)
    # Her own data only: nothing about Léa.
    assert _persons(item) == [("guardian", "requester")]
