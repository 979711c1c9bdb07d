"""The DPO searches the audit trail by person, actor, action and date; nobody else can."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ActivationCode
from entaix.tests.factories import account
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db
URL = "/rgpd/journal/"


@pytest.fixture
def trail(family):
    director = family.director.account
    mother = account(family.mother)
    lea = account(family.lea)
    account_services.letter_batch_create(actor=director, kind="selection", account_ids=[mother.pk])
    account_services.account_reset(accounts=[lea], actor=director)
    return {"director": director, "mother": mother, "lea": lea}


def entries(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return list(response.context["entries"])


def test_search_by_person(client, city_user, family, trail):
    client.force_login(city_user)
    found = entries(client, person=f"pupil:{family.lea.pk}")
    about = {(e.content_type.model, e.object_id) for e in found}
    assert ("pupil", family.lea.pk) in about
    assert ("user", trail["lea"].pk) in about
    allowed = (
        {("pupil", family.lea.pk), ("user", trail["lea"].pk)}
        | {("guardianlink", pk) for pk in family.lea.guardian_links.values_list("pk", flat=True)}
        | {("pupilclass", pk) for pk in family.lea.class_links.values_list("pk", flat=True)}
        | {("activationcode", c.pk) for c in ActivationCode.objects.filter(account=trail["lea"])}
    )
    assert about <= allowed
    assert (
        not LogEntry.objects.filter(content_type__model="pupil", object_id=family.tom.pk)
        .filter(pk__in=[e.pk for e in found])
        .exists()
    )
    # By name: the mother's entries, not Léa's.
    by_name = {(e.content_type.model, e.object_id) for e in entries(client, person="Aïssatou")}
    assert ("guardian", family.mother.pk) in by_name and ("pupil", family.lea.pk) not in by_name


def test_search_by_actor_action_and_date(client, city_user, family, trail):
    client.force_login(city_user)
    by_director = entries(client, actor="dir.sextius")
    assert by_director and {e.actor_id for e in by_director} == {trail["director"].pk}
    printed = entries(client, action="letter-printed")
    assert [(e.object_id, e.additional_data["event"]) for e in printed] == [
        (trail["mother"].pk, "letter-printed")
    ]
    created = entries(client, action=str(LogEntry.Action.CREATE))
    assert created and {e.action for e in created} == {LogEntry.Action.CREATE}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert entries(client, date_from=tomorrow.isoformat()) == []
    assert len(entries(client, date_to=timezone.localdate().isoformat())) == min(
        LogEntry.objects.count(), 50
    )


def test_constant_number_of_queries(client, city_user, family, trail):
    client.force_login(city_user)
    client.get(URL)  # warm the content-type cache and the session
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"actor": "dir.sextius"})
    for _ in range(30):
        account_services.account_reset(accounts=[trail["lea"]], actor=trail["director"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, {"actor": "dir.sextius"})
    assert len(response.context["entries"]) == 50
    assert len(many.captured_queries) == len(few.captured_queries)


DPO_PAGES = [
    "privacy:request-list",
    "privacy:retention",
    "privacy:hold-list",
    "privacy:purge-list",
    "privacy:audit",
    "privacy:inventory",
]


def test_directors_teachers_and_parents_get_403(client, family):
    request = file_request(family)
    urls = [reverse(name) for name in DPO_PAGES] + [
        reverse("privacy:request-detail", args=[request.pk]),
        reverse("privacy:request-attachment", args=[request.pk]),
    ]
    for user in (family.director.account, family.teacher.account, account(family.mother)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        response = client.post(
            reverse("privacy:request-action", args=[request.pk]),
            {"action": "close", "status": "answered", "answer": "x"},
        )
        assert response.status_code == 403
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    request.refresh_from_db()
    assert request.status == "received"
