"""scim2-tester (python-scim's conformance checker) against our endpoints, through the WSGI app.

Every check that applies to a read-only server passes. Skipped, by tag: `crud` (create,
replace, delete, patch, and the reads and attribute checks, which scim2-tester runs on a
resource it first creates with POST: a read-only server answers 501 to that POST, so these
cannot apply). The reads are proven below with scim2-client on resources the import made.
"""

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import Group, ListResponse, User
from scim2_tester import Status, check_server

from scim.resources import EntGroup

pytestmark = pytest.mark.django_db(transaction=False)

BASE = "http://testserver/scim/v2"


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction: keep it open, as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def scim_client(token: str) -> WSGISCIMClient:
    return WSGISCIMClient(
        get_wsgi_application(), base_url=BASE, headers={"Authorization": f"Bearer {token}"}
    )


def test_scim2_tester_passes_every_check_of_a_read_only_server(client_a):
    _client, token = client_a
    results = check_server(scim_client(token), include_tags={"discovery", "misc"})
    by_status = {}
    for result in results:
        by_status.setdefault(result.status, []).append(
            (result.title, result.resource_type, result.reason)
        )
    failed = {s: r for s, r in by_status.items() if s not in (Status.SUCCESS, Status.SKIPPED)}
    assert failed == {}
    skipped = by_status.get(Status.SKIPPED, [])
    # Skipped: the create/read/replace/delete/patch/attribute checks of both resource types,
    # all of which start with a POST (11 checks x 2 types).
    assert sorted({title for title, _r, _reason in skipped}) == SKIPPED_WRITE_BASED
    assert {reason for _t, _r, reason in skipped} == {"Skipped due to tag filtering"}
    assert len(skipped) == 22
    passed = sorted(title for title, _r, _reason in by_status[Status.SUCCESS])
    assert passed == PASSED


PASSED = sorted(
    [
        "access_invalid_resource_type",
        "access_invalid_schema",
        *["access_schema_by_id"] * 3,  # User, Group, our Group extension
        "query_all_resource_types",
        "query_all_schemas",
        *["query_resource_type_by_id"] * 2,
        "random_url",
        *["resource_types_endpoint_methods"] * 4,  # POST, PUT, PATCH, DELETE: 405
        *["resource_types_schema_validation"] * 2,
        *["schemas_endpoint_methods"] * 4,
        "service_provider_config_endpoint",
        *["service_provider_config_endpoint_methods"] * 4,
    ]
)
SKIPPED_WRITE_BASED = sorted(
    [
        "check_add_attribute",
        "check_remove_attribute",
        "check_replace_attribute",
        "object_creation",
        "object_deletion",
        "object_list_with_attributes",
        "object_query",
        "object_query_with_attributes",
        "object_query_without_id",
        "object_replacement",
        "search_with_attributes",
    ]
)


def test_scim2_tester_creation_check_meets_a_501(client_a):
    """What the skipped checks would meet: scim2-tester's own POST is refused with a 501
    SCIM error (RFC 7644 §3.12), and nothing is created."""
    from accounts.models import User as Account

    _client, token = client_a
    before = Account.objects.count()
    results = check_server(scim_client(token), include_tags={"crud:create"})
    creations = [r for r in results if r.title == "object_creation"]
    assert [(r.resource_type, r.status) for r in creations] == [
        ("User", Status.ERROR),
        ("Group", Status.ERROR),
    ]
    assert all("read-only" in (r.reason or "") for r in creations), [r.reason for r in creations]
    assert Account.objects.count() == before


def test_scim2_client_reads_users_and_groups_with_the_discovered_schemas(client_a, synced):
    _client, token = client_a
    scim = scim_client(token)
    scim.discover()
    users = scim.query(User)
    assert isinstance(users, ListResponse)
    # School A: 4 pupils, their 4 guardians, the director and 2 teachers.
    expected = _public_ids(
        [*synced["a"]["pupils"], *(p.guardians.get() for p in synced["a"]["pupils"]),
         synced["a"]["director"], *synced["a"]["teachers"]]
    )  # fmt: skip
    assert users.total_results == 11
    assert {u.id for u in users.resources} == expected
    assert all(u.active for u in users.resources)
    groups = scim.query(Group[EntGroup])
    assert groups.total_results == 3  # the school and its two classes
    assert sorted(g[EntGroup].kind for g in groups.resources) == ["class", "class", "school"]


def _public_ids(persons) -> set[str]:
    for person in persons:
        person.refresh_from_db()
    return {str(p.account.public_id) for p in persons}
