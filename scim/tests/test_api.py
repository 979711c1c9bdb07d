"""The SCIM endpoints with Django's test client: scope, tokens, filters, pages, ETags,
people who left, what `meta.lastModified` follows, errors, and the audit of reads."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.services import account_sync
from entaix.tests import factories
from scim import services
from scim.models import ScimClient, ScimDelivery
from scim.resources import class_group_id, school_group_id
from scim.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def account(person) -> User:
    person.refresh_from_db()
    return User.objects.get(pk=person.account_id)


def get(client, token, url, **extra):
    return client.get(url, **bearer(token), **extra)


def ids(response) -> set[str]:
    return {r["id"] for r in response.json()["Resources"]}


def test_a_client_sees_only_the_people_of_the_schools_it_serves(client, client_a, synced):
    _c, token = client_a
    a_pupil, b_pupil = synced["a"]["pupils"][0], synced["b"]["pupils"][0]
    response = get(client, token, "/scim/v2/Users?count=100")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    assert response["Cache-Control"] == "no-store, private"
    body = response.json()
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (11, 11, 1)
    assert str(account(a_pupil).public_id) in ids(response)
    assert str(account(b_pupil).public_id) not in ids(response)
    assert get(client, token, f"/scim/v2/Users/{account(b_pupil).public_id}").status_code == 404
    b_group = school_group_id(synced["b"]["school"].uai)
    assert get(client, token, f"/scim/v2/Groups/{b_group}").status_code == 404


def test_a_guardian_is_seen_through_a_child_in_a_served_school(client, client_a, synced):
    _c, token = client_a
    b_pupil = synced["b"]["pupils"][0]
    guardian = b_pupil.guardians.get()
    factories.link(synced["a"]["pupils"][0], guardian)
    account_sync()
    user = get(client, token, f"/scim/v2/Users/{account(guardian).public_id}").json()
    assert user["userType"] == "guardian"
    # Only the served school's groups are named, never school B's.
    a = synced["a"]
    assert {g["value"] for g in user["groups"]} == {
        school_group_id(a["school"].uai),
        class_group_id(a["school"].uai, "class", a["classes"][0].code),
    }


def test_exported_attributes_are_exactly_these(client, client_a, synced):
    _c, token = client_a
    teacher = synced["a"]["teachers"][0]
    user = account(teacher)
    teacher.is_teacher = True  # the feed's ENTPersonProfils says "enseignant"
    teacher.save()
    account_sync()
    account_services.account_email_set(account=user, email="prof@example.org")
    body = get(client, token, f"/scim/v2/Users/{user.public_id}").json()
    assert set(body) == {
        "schemas", "id", "meta", "userName", "name", "displayName", "userType", "active",
        "groups",
    }  # fmt: skip
    assert body["userName"] == user.login
    assert body["userType"] == "teacher"
    assert "emails" not in body  # not confirmed yet
    account_services.account_email_confirm(account=user)
    body = get(client, token, f"/scim/v2/Users/{user.public_id}").json()
    assert body["emails"] == [{"value": "prof@example.org", "primary": True}]


def test_tokens(client, client_a, synced):
    scim_client, token = client_a
    assert token not in ScimClient.objects.values_list("token_digest", flat=True)
    assert len(token) >= 43
    assert get(client, "wrong", "/scim/v2/Users").status_code == 401
    response = client.get("/scim/v2/Users")
    assert response.status_code == 401
    assert response.json()["status"] == "401"
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
    new = services.scim_client_token_renew(client=scim_client)
    assert get(client, token, "/scim/v2/Users").status_code == 401
    assert get(client, new, "/scim/v2/Users").status_code == 200
    services.scim_client_update(client=scim_client, school_ids=[], is_active=False)
    assert get(client, new, "/scim/v2/Users").status_code == 401


def test_filters(client, client_a, synced):
    _c, token = client_a
    user = account(synced["a"]["director"])
    found = get(client, token, f'/scim/v2/Users?filter=userName eq "{user.login.upper()}"')
    assert ids(found) == {str(user.public_id)}
    both = get(
        client,
        token,
        f'/scim/v2/Users?filter=userName eq "{user.login}" and '
        f'meta.lastModified gt "2000-01-01T00:00:00Z"',
    )
    assert ids(both) == {str(user.public_id)}
    future = (timezone.now() + datetime.timedelta(minutes=1)).isoformat()
    none = get(client, token, "/scim/v2/Users", data={"filter": f'meta.lastModified gt "{future}"'})
    assert none.json()["totalResults"] == 0
    for bad in ('emails[type eq "work"]', 'nickName eq "x"', "userName eq", 'userName gt "a"'):
        response = get(client, token, "/scim/v2/Users", data={"filter": bad})
        assert response.status_code == 400, bad
        assert response.json()["scimType"] == "invalidFilter", bad
    groups = get(client, token, '/scim/v2/Groups?filter=displayName eq "École A"')
    assert ids(groups) == {school_group_id(synced["a"]["school"].uai)}


def test_pages_have_a_constant_number_of_queries(client, client_a, synced):
    _c, token = client_a

    def page(count: int) -> tuple[int, set]:
        with CaptureQueriesContext(connection) as queries:
            response = get(client, token, f"/scim/v2/Users?startIndex=2&count={count}")
        return len(queries.captured_queries), ids(response)

    small, first = page(2)
    large, second = page(8)
    assert small == large
    assert len(first) == 2 and len(second) == 8 and first < second
    capped = get(client, token, "/scim/v2/Users?count=5000").json()
    assert capped["itemsPerPage"] == 11
    assert get(client, token, "/scim/v2/Users?count=x").status_code == 400


def test_one_user_is_read_by_key_without_counting_the_directory(client, client_a, synced):
    _c, token = client_a
    pupil = synced["a"]["pupils"][0]
    url = f"/scim/v2/Users/{account(pupil).public_id}"
    with CaptureQueriesContext(connection) as queries:
        response = get(client, token, url)
    assert response.json()["id"] == str(account(pupil).public_id)
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]] == []


def test_etag_and_if_none_match(client, client_a, synced):
    _c, token = client_a
    pupil = synced["a"]["pupils"][0]
    url = f"/scim/v2/Users/{account(pupil).public_id}"  # account() refreshes the pupil
    first = get(client, token, url)
    etag = first["ETag"]
    assert etag.startswith('W/"') and first.json()["meta"]["version"] == etag
    assert get(client, token, url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    pupil.first_name = "Renommé"
    pupil.save()
    account_sync()
    changed = get(client, token, url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    group = get(client, token, f"/scim/v2/Groups/{school_group_id(synced['a']['school'].uai)}")
    assert get(client, token, group.request["PATH_INFO"],
               HTTP_IF_NONE_MATCH=group["ETag"]).status_code == 304  # fmt: skip


def test_people_who_left_stay_visible_as_inactive_with_id_and_login_only(client, client_a, synced):
    _c, token = client_a
    pupil = synced["a"]["pupils"][0]
    url = f"/scim/v2/Users/{account(pupil).public_id}"
    assert get(client, token, url).json()["active"] is True  # the client received it
    pupil.left_at = timezone.now()
    pupil.save()
    account_sync()
    body = get(client, token, url).json()
    assert body["active"] is False
    assert set(body) == {"schemas", "id", "meta", "userName", "userType", "active"}
    inactive = get(client, token, "/scim/v2/Users?filter=active eq false")
    assert ids(inactive) == {str(account(pupil).public_id)}
    # A client that never received them does not learn of them.
    _other, other_token = services.scim_client_create(
        name="Cantine", school_ids=[synced["a"]["school"].pk]
    )
    assert get(client, other_token, url).status_code == 404


def test_last_modified_follows_exactly_the_exported_fields(client, client_a, synced):
    a = synced["a"]
    pupil, other = a["pupils"][0], a["pupils"][1]
    for person in (pupil, other):
        person.refresh_from_db()
    stamps = lambda: dict(User.objects.values_list("pk", "directory_modified_at"))  # noqa: E731
    start = stamps()
    # Not exported: nothing moves.
    User.objects.filter(pk=pupil.account_id).update(last_login=timezone.now())
    pupil.birth_date = datetime.date(2018, 1, 2)
    pupil.save()
    account_sync()
    assert stamps() == start
    # A change of class moves the pupil (and their guardian, a member through the child).
    factories.enrol(pupil, a["classes"][1])
    account_sync()
    moved = {pk for pk, stamp in stamps().items() if stamp != start[pk]}
    assert moved == {pupil.account_id, pupil.guardians.get().account_id}
    assert other.account_id not in moved


def test_writes_are_refused(client, client_a, synced):
    _c, token = client_a
    count = User.objects.count()
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/scim/v2/Users", **bearer(token))
        assert response.status_code == 501, method
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert getattr(client, method)("/scim/v2/Schemas").status_code == 405
    assert User.objects.count() == count


def test_reads_are_audited_and_deliveries_recorded(client, client_a, synced):
    scim_client, token = client_a
    before = LogEntry.objects.filter(additional_data__event="scim-read").count()
    get(client, token, "/scim/v2/Users?count=4")
    entries = LogEntry.objects.filter(additional_data__event="scim-read")
    assert entries.count() == before + 1
    entry = entries.latest("pk")
    assert entry.additional_data == {
        "event": "scim-read", "client": scim_client.pk, "resource": "User", "count": 4,
        "query": "list",
    }  # fmt: skip
    assert entry.action == LogEntry.Action.ACCESS
    assert ScimDelivery.objects.filter(client=scim_client).count() == 4
    get(client, token, "/scim/v2/Users?count=4")
    assert ScimDelivery.objects.filter(client=scim_client).count() == 4


def test_groups_carry_member_ids_and_the_school_extension(client, client_a, synced):
    _c, token = client_a
    a = synced["a"]
    uai, first_class = a["school"].uai, a["classes"][0]
    pupils = a["pupils"][:2]  # the first class's two pupils
    expected = {
        str(account(p).public_id) for p in [*pupils, *(p.guardians.get() for p in pupils)]
    } | {str(account(a["teachers"][0]).public_id)}
    url = f"/scim/v2/Groups/{class_group_id(uai, 'class', first_class.code)}"
    body = get(client, token, url).json()
    assert body["displayName"] == first_class.name
    assert {m["value"] for m in body["members"]} == expected
    assert set(body["members"][0]) == {"value", "$ref", "type"}  # ids only, no names
    assert body["urn:fr:aixenprovence:ent:scim:schemas:extension:2.0:Group"] == {
        "uai": uai, "kind": "class", "school": school_group_id(uai),
    }  # fmt: skip
    listing = get(client, token, "/scim/v2/Groups?excludedAttributes=members").json()
    assert listing["totalResults"] == 3
    assert all("members" not in g for g in listing["Resources"])
    teachers = get(client, token, "/scim/v2/Users", data={"filter": 'userType eq "teacher"'})
    assert ids(teachers) == set()  # the factories' staff are not marked as teaching


def test_cursor_pages_walk_everyone_once_with_constant_queries(client, client_a, synced):
    """RFC 9865: `cursor` (empty for the first page) and `nextCursor`, no OFFSET, no COUNT."""
    _c, token = client_a
    seen, cursor, queries_per_page = [], "", set()
    while cursor is not None:
        with CaptureQueriesContext(connection) as queries:
            body = get(client, token, "/scim/v2/Users", data={"cursor": cursor, "count": 4}).json()
        queries_per_page.add(len(queries.captured_queries))
        seen += [r["id"] for r in body["Resources"]]
        cursor = body.get("nextCursor")
    assert len(seen) == len(set(seen)) == 11
    assert len(queries_per_page) == 1
    everyone = get(client, token, "/scim/v2/Users?count=100")
    assert set(seen) == ids(everyone)
    bad = get(client, token, "/scim/v2/Users", data={"cursor": "forged.123"})
    assert (bad.status_code, bad.json()["scimType"]) == (400, "invalidCursor")


def test_attributes_and_excluded_attributes(client, client_a, synced):
    _c, token = client_a
    only = get(client, token, "/scim/v2/Users?attributes=userName&count=2").json()
    assert [set(r) for r in only["Resources"]] == [{"schemas", "id", "userName"}] * 2
    without = get(client, token, "/scim/v2/Users?excludedAttributes=groups,name&count=2").json()
    assert all("groups" not in r and "name" not in r and "userName" in r
               for r in without["Resources"])  # fmt: skip
    bad = get(client, token, "/scim/v2/Users?attributes=userName&excludedAttributes=name")
    assert bad.status_code == 400
