"""People whose data was purged (retention, an upheld erasure) or whose account was locked (an
upheld opposition) still reach the clients that received them, as inactive, so that these
deactivate their copy; a client that never received them learns nothing."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from privacy.services.anonymise import persons_erase
from scim import services
from scim.models import ScimDelivery, ScimRemoval
from scim.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def get(client, token, url, **data):
    return client.get(url, data=data or None, **bearer(token))


def ids(response) -> list[str]:
    return [r["id"] for r in response.json()["Resources"]]


def since(moment: datetime.datetime) -> str:
    return f'meta.lastModified gt "{moment.isoformat()}"'


def test_a_purged_person_is_served_inactive_with_its_id_only(client, client_a, synced):
    scim_client, token = client_a
    pupil = synced["a"]["pupils"][0]
    pupil.refresh_from_db()
    account = User.objects.get(pk=pupil.account_id)
    public_id = str(account.public_id)
    guardian = str(User.objects.get(pk=pupil.guardians.get().account_id).public_id)
    url = f"/scim/v2/Users/{public_id}"
    assert get(client, token, "/scim/v2/Users", count=100).json()["totalResults"] == 11
    _never, never_token = services.scim_client_create(
        name="Bibliothèque", school_ids=[synced["a"]["school"].pk]
    )  # registered, never read anything
    before_purge = timezone.now()
    persons_erase(pupil_ids=[pupil.pk])
    assert not User.objects.filter(pk=account.pk).exists()
    assert ScimRemoval.objects.filter(client=scim_client).count() == 1

    response = get(client, token, url)
    assert response.status_code == 200
    body = response.json()
    removed_at = ScimRemoval.objects.get().removed_at
    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": public_id,
        "userName": public_id,  # required by RFC 7643; the login went with the data
        "active": False,
        "meta": {
            "resourceType": "User",
            "lastModified": removed_at.isoformat().replace("+00:00", "Z"),
            "location": f"http://testserver/scim/v2/Users/{public_id}",
            "version": response["ETag"],
        },
    }
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"], **bearer(token)).status_code == 304
    # The incremental sync picks the purge up, and only it: the pupil, and their guardian, who
    # had no other child in the client's schools.
    delta = get(client, token, "/scim/v2/Users", filter=since(before_purge)).json()
    assert sorted((r["id"], r["active"]) for r in delta["Resources"]) == sorted(
        [(public_id, False), (guardian, False)]
    )
    assert (
        get(client, token, "/scim/v2/Users", filter=since(timezone.now())).json()["totalResults"]
        == 0
    )
    assert sorted(ids(get(client, token, "/scim/v2/Users", filter="active eq false"))) == sorted(
        [public_id, guardian]
    )
    assert ids(get(client, token, "/scim/v2/Users", filter=f'id eq "{public_id}"')) == [public_id]
    assert ids(get(client, token, "/scim/v2/Users", filter=f'userName eq "{public_id}"')) == [
        public_id
    ]
    assert (
        get(client, token, "/scim/v2/Users", filter='userType eq "pupil"').json()["totalResults"]
        == 3
    )
    # Full listings, by index and by cursor, carry it once, in id order.
    listing = get(client, token, "/scim/v2/Users", count=100).json()
    assert listing["totalResults"] == 11
    assert ids(get(client, token, "/scim/v2/Users", count=100)).count(public_id) == 1
    walked, cursor = [], ""
    while cursor is not None:
        page = get(client, token, "/scim/v2/Users", cursor=cursor, count=3).json()
        walked += [r["id"] for r in page["Resources"]]
        cursor = page.get("nextCursor")
    assert sorted(walked) == sorted(ids(get(client, token, "/scim/v2/Users", count=100)))
    assert len(walked) == 11
    # Reading it records no delivery (there is no account left to record it against).
    assert ScimDelivery.objects.filter(client=scim_client).count() == 10
    # A client that never received the person does not learn of them.
    assert get(client, never_token, url).status_code == 404
    # (nor of the guardian, now outside its schools)
    assert get(client, never_token, "/scim/v2/Users", count=100).json()["totalResults"] == 9


def test_removals_keep_pages_at_a_constant_number_of_queries(client, client_a, synced):
    _c, token = client_a
    get(client, token, "/scim/v2/Users", count=100)
    persons_erase(pupil_ids=[p.pk for p in synced["a"]["pupils"][:2]])

    def queries(**data) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get(client, token, "/scim/v2/Users", **data).status_code == 200
        return len(captured.captured_queries)

    assert queries(count=2) == queries(count=9)
    assert queries(cursor="", count=2) == queries(cursor="", count=9)


def test_a_locked_account_is_served_inactive_and_picked_up_by_the_sync(client, client_a, synced):
    """An upheld opposition locks the account: the client deactivates it at its next sync."""
    _c, token = client_a
    guardian = synced["a"]["pupils"][0].guardians.get()
    account = User.objects.get(pk=guardian.account_id)
    get(client, token, "/scim/v2/Users", count=100)
    before = timezone.now()
    account_services.account_lock(account_ids=[account.pk], actor=None, reason="privacy-request-1")
    delta = get(client, token, "/scim/v2/Users", filter=since(before)).json()
    assert [(r["id"], r["active"]) for r in delta["Resources"]] == [(str(account.public_id), False)]
    body = get(client, token, f"/scim/v2/Users/{account.public_id}").json()
    assert body["active"] is False and "name" not in body and "emails" not in body
