"""scim2-client walks an incremental sync across a real import (the feed generator's Complet,
then a Delta that adds, renames and removes people): `meta.lastModified gt` the time of the
previous sync returns exactly the users whose SCIM representation changed, and nobody else."""

import datetime

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import SearchRequest, User

from devtools import feedgen
from imports import services
from imports.models import ImportRun
from schools.models import School
from scim import services as scim_services

pytestmark = pytest.mark.django_db

BASE = "http://testserver/scim/v2"


@pytest.fixture(autouse=True)
def _keep_test_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _all(scim, filter_: str | None = None, count: int = 7) -> dict[str, dict]:
    """Every user the client may read, page by page (startIndex/count), as id → content."""
    found, start = {}, 1
    while True:
        page = scim.query(User, query_parameters=SearchRequest(filter=filter_, start_index=start,
                                                             count=count))  # fmt: skip
        for user in page.resources or []:
            payload = user.model_dump()
            payload.pop("meta", None)
            found[user.id] = payload
        start += count
        if start > page.total_results:
            return found


def test_incremental_sync_across_a_delta_returns_exactly_the_changed_users(tmp_path):
    today = timezone.localdate()
    options = feedgen.GenOptions(
        schools=2, pupils_per_school=25, seed=11, date=today - datetime.timedelta(days=2),
        closed_school_ratio=0,
    )  # fmt: skip
    feed = feedgen.generate_complet(tmp_path / "c", options)
    run = services.import_files(paths=[tmp_path / "c"], trigger=ImportRun.Trigger.COMMAND)
    assert run.status == ImportRun.Status.APPLIED
    services.school_open_reconcile(uais=feed.school_uais, opened_on=today)
    _client, token = scim_services.scim_client_create(
        name="ENT", school_ids=list(School.objects.values_list("pk", flat=True))
    )
    scim = WSGISCIMClient(
        get_wsgi_application(), base_url=BASE, headers={"Authorization": f"Bearer {token}"}
    )
    scim.discover()

    before = _all(scim)
    synced_at = timezone.now()
    assert len(before) > 100
    assert _all(scim, f'meta.lastModified gt "{synced_at.isoformat()}"') == {}

    feedgen.generate_delta(tmp_path / "c", tmp_path / "d", change_rate=0.05, seed=12,
                           date=today - datetime.timedelta(days=1))  # fmt: skip
    delta = services.import_files(paths=[tmp_path / "d"], trigger=ImportRun.Trigger.COMMAND)
    assert delta.status == ImportRun.Status.APPLIED, delta.held_reasons

    after = _all(scim)
    changed = {uid for uid, payload in after.items() if before.get(uid) != payload}
    incremental = _all(scim, f'meta.lastModified gt "{synced_at.isoformat()}"')
    assert set(incremental) == changed
    assert incremental == {uid: after[uid] for uid in changed}
    # The delta did each of the three things, and the sync saw each.
    added = set(after) - set(before)
    left = {uid for uid in changed - added if before[uid]["active"] and not after[uid]["active"]}
    renamed = {
        uid for uid in changed - added - left if before[uid].get("name") != after[uid].get("name")
    }
    assert added and left and renamed, (len(added), len(left), len(renamed))
    # Nobody disappears: people who left stay, inactive, with their id and login only.
    assert set(before) <= set(after)
    assert all(
        set(after[uid]) == {"schemas", "id", "userName", "userType", "active"} for uid in left
    )
    # A second incremental sync from now returns nobody.
    assert _all(scim, f'meta.lastModified gt "{timezone.now().isoformat()}"') == {}
