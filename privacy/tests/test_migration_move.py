"""The move of the data-protection models from `accounts` to `privacy` keeps every row.

Runs the real migrations on PostgreSQL: back to the schema before the move (tables
`accounts_*`), a request and its audit entry written there, then forward to today.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

MOVED = [
    "accessexport",
    "datarequest",
    "datarequestnote",
    "datarequestsubject",
    "legalhold",
    "purgereceipt",
    "purgerun",
    "rectificationtask",
]
BEFORE = [("accounts", "0003_gdpr"), ("privacy", None)]


def _migrate(targets, state_at):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(state_at).apps


@pytest.fixture
def latest():
    nodes = MigrationExecutor(connection).loader.graph.leaf_nodes()
    yield nodes
    # Whatever happened, the database goes back to today's schema for the next tests.
    _migrate(nodes, nodes)


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_moving_the_models_keeps_the_rows_and_their_audit_entries(latest):
    auditlog = [node for node in latest if node[0] == "auditlog"]
    old = _migrate(BEFORE, [("accounts", "0003_gdpr"), *auditlog])
    assert {f"accounts_{model}" for model in MOVED} <= _tables()
    assert "privacy_datarequest" not in _tables()
    ContentType = old.get_model("contenttypes", "ContentType")
    LogEntry = old.get_model("auditlog", "LogEntry")
    DataRequest = old.get_model("accounts", "DataRequest")
    request = DataRequest.objects.create(
        reference="RGPD-2026-MOVED1",
        kind="access",
        requester_name="Marie Dupont",
        requester_email="marie@example.fr",
        relation="parent",
        due_on=datetime.date(2027, 1, 1),
    )
    DataRequest._meta.apps.get_model("accounts", "DataRequestNote").objects.create(
        request=request, text="called back"
    )
    content_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="datarequest")
    LogEntry.objects.create(
        content_type=content_type,
        object_pk=str(request.pk),
        object_id=request.pk,
        object_repr="RGPD-2026-MOVED1",
        action=0,
        changes={},
    )

    new = _migrate(latest, latest)

    assert {"privacy_datarequest", "privacy_datarequestnote", "privacy_purgerun"} <= _tables()
    assert not {f"accounts_{model}" for model in MOVED} & _tables()
    moved = new.get_model("privacy", "DataRequest").objects.get(pk=request.pk)
    assert (moved.reference, moved.requester_email) == ("RGPD-2026-MOVED1", "marie@example.fr")
    notes = new.get_model("privacy", "DataRequestNote").objects.filter(request_id=request.pk)
    assert list(notes.values_list("text", flat=True)) == ["called back"]
    content_type = new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (content_type.app_label, content_type.model) == ("privacy", "datarequest")
    entry = new.get_model("auditlog", "LogEntry").objects.get(object_id=request.pk)
    assert entry.content_type_id == content_type.pk
