"""Finding 4: the export draws on every table holding data about the person: login records
(time, address, browser), the addresses in their audit entries, their own requests and how
they were handled; axes and sessions are in the inventory with a retention rule, purged."""

import datetime
import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone

from entaix.tests.factories import account
from privacy import inventory, services
from privacy.services import export, retention
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db


def _doc(item) -> dict:
    with zipfile.ZipFile(io.BytesIO(item.file.read())) as archive:
        return json.loads(archive.read("data.json"))


def test_login_records_addresses_and_own_requests_are_in_the_export(family, city_user):
    mother = account(family.mother)
    now = timezone.now()
    AccessLog.objects.create(
        username=mother.login,
        ip_address="203.0.113.5",
        user_agent="Firefox/140",
        attempt_time=now,
        http_accept="*/*",
        path_info="/comptes/connexion/",
    )
    AccessFailureLog.objects.create(
        username=mother.login,
        ip_address="203.0.113.6",
        user_agent="Firefox/140",
        attempt_time=now,
        locked_out=False,
        http_accept="*/*",
        path_info="/comptes/connexion/",
    )
    # Another person's login record never appears.
    AccessLog.objects.create(
        username="someone.else", ip_address="198.51.100.1", user_agent="X", attempt_time=now
    )
    earlier = file_request(family, kind="opposition", message="Non.")
    services.data_request_subjects_confirm(
        data_request=earlier, actor=city_user, guardian_id=family.mother.pk, pupil_ids=[]
    )
    services.data_request_decide(
        data_request=earlier, actor=city_user, decision="refused", legal_ground="art-21-1"
    )
    services.data_request_close(
        data_request=earlier, actor=city_user, status="answered", answer="Refus motivé."
    )
    LogEntry.objects.filter(actor=None).update(remote_addr=None)
    mother.email = "awa@example.fr"
    from auditlog.context import set_actor

    with set_actor(mother, remote_addr="203.0.113.9"):
        mother.save()
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
    doc = _doc(export.access_export_create(data_request=request, actor=city_user))
    text = json.dumps(doc)
    assert "198.51.100.1" not in text
    person = doc["persons"][0]
    records = person["login_records"]
    assert sorted((r["type"], r["address"], r["browser"]) for r in records) == [
        ("failure", "203.0.113.6", "Firefox/140"),
        ("login", "203.0.113.5", "Firefox/140"),
    ]
    addresses = {e.get("address") for e in person["audit_events"]}
    assert "203.0.113.9" in addresses
    own = {r["reference"]: r for r in person["data_requests"]}
    assert own[earlier.reference]["decision"]  # shown as its label
    assert own[earlier.reference]["answer"] == "Refus motivé."
    assert own[earlier.reference]["closed_on"] is not None


def test_axes_and_sessions_are_in_the_inventory_and_purged(family):
    labels = {m._meta.label_lower for m in inventory.personal_models()}
    assert {"axes.accesslog", "axes.accessattempt", "axes.accessfailurelog"} <= labels
    assert "sessions.session" in labels
    assert inventory.unclassified() == []
    old = timezone.now() - datetime.timedelta(days=400)
    AccessLog.objects.create(username="a", ip_address="203.0.113.1")
    AccessAttempt.objects.create(username="a", ip_address="203.0.113.1", failures_since_start=1)
    # attempt_time is set on creation: made old afterwards.
    AccessLog.objects.update(attempt_time=old)
    AccessAttempt.objects.update(attempt_time=old)
    recent = AccessLog.objects.create(
        username="b", ip_address="203.0.113.2", attempt_time=timezone.now()
    )
    result = retention.retention_purge(apply=True)
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert AccessAttempt.objects.count() == 0
    assert result.run.counts["axes:login-records"] == 2
