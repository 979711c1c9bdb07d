"""accounts.directory: `directory_modified_at` moves for exactly the accounts whose exported
state changed, whatever wrote the change (services, or the import's bulk SQL)."""

from importlib import import_module

import pytest
from django.db import connection
from django.utils import timezone

from accounts import services
from accounts.directory import directory_refresh
from accounts.models import User
from accounts.services import account_sync
from entaix.tests.factories import account

pytestmark = pytest.mark.django_db


def stamps() -> dict[int, object]:
    return dict(User.objects.values_list("pk", "directory_modified_at"))


def moved(before: dict) -> set[int]:
    return {pk for pk, stamp in stamps().items() if stamp != before.get(pk)}


def test_every_account_of_the_feed_gets_a_state_and_a_second_refresh_changes_nothing(
    two_schools, city_user
):
    account_sync()
    feed = User.objects.exclude(kind=User.Kind.CITY)
    assert feed.filter(directory_modified_at__isnull=True).count() == 0
    assert feed.filter(directory_digest__isnull=True).count() == 0
    assert User.objects.get(pk=city_user.pk).directory_modified_at is None
    before = stamps()
    assert directory_refresh() == []
    assert stamps() == before


def test_services_move_exactly_their_accounts(two_schools):
    account_sync()
    pupil = two_schools["a"]["pupils"][0]
    user = account(pupil)
    before = stamps()
    services.account_email_set(account=user, email="eleve@example.org")
    assert moved(before) == set()  # not confirmed: not exported
    services.account_email_confirm(account=user)
    assert moved(before) == {user.pk}
    before = stamps()
    services.account_lock(account_ids=[user.pk], actor=None, reason="opposition")
    assert moved(before) == {user.pk}


def test_a_bulk_sql_rename_is_seen_by_the_next_sync(two_schools):
    """The import renames with UPDATE … FROM: no write path to trust, the digest sees it."""
    account_sync()
    pupil = two_schools["a"]["pupils"][0]
    pupil.refresh_from_db()
    before = stamps()
    type(pupil).objects.filter(pk=pupil.pk).update(last_name="Nouveau", updated_at=timezone.now())
    account_sync()  # copies the name to the account, then refreshes
    assert moved(before) == {pupil.account_id}


def test_the_postgresql_fill_migration_writes_what_the_refresh_writes(two_schools):
    """Migration 0010 fills the new columns with SQL on PostgreSQL (only there: the demo's
    SQLite waits for the next full refresh, scim/tests/test_sqlite.py)."""
    fill = import_module("accounts.migrations.0010_user_directory_groups").fill
    account_sync()
    groups = {pk: (s, c) for pk, s, c in User.objects.values_list(
        "pk", "directory_schools", "directory_classes")}  # fmt: skip
    assert sum(1 for s, _c in groups.values() if s) > 0
    User.objects.update(directory_schools=[], directory_classes=[])
    with connection.schema_editor() as editor:
        fill(None, editor)
    after = {pk: (s, c) for pk, s, c in User.objects.values_list(
        "pk", "directory_schools", "directory_classes")}  # fmt: skip
    assert after == groups
    assert directory_refresh() == []


def user_rows_updated() -> int:
    """Rows of accounts_user updated so far in this transaction (PostgreSQL's own count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'accounts_user'"
        )
        return cursor.fetchone()[0]


def test_an_unchanged_refresh_rewrites_no_row(two_schools):
    account_sync()
    before, updated = stamps(), user_rows_updated()
    assert directory_refresh() == []
    assert user_rows_updated() - updated == 0
    assert stamps() == before


def test_a_refresh_rewrites_each_changed_account_once(two_schools):
    """Digest, groups and `directory_modified_at` in one UPDATE: one row version per account
    (it was two: the digests and groups, then the stamps)."""
    account_sync()
    feed = User.objects.exclude(kind=User.Kind.CITY)
    expected = sorted(feed.values_list("pk", flat=True))
    groups = {pk: (s, c) for pk, s, c in feed.values_list(
        "pk", "directory_schools", "directory_classes")}  # fmt: skip
    feed.update(directory_digest=None, directory_schools=[], directory_classes=[])
    before, updated = stamps(), user_rows_updated()
    assert sorted(directory_refresh()) == expected
    assert user_rows_updated() - updated == len(expected)
    assert moved(before) == set(expected)
    assert {pk: (s, c) for pk, s, c in feed.values_list(
        "pk", "directory_schools", "directory_classes")} == groups  # fmt: skip


def test_groups_that_lag_are_written_without_moving_the_stamp(two_schools):
    account_sync()
    feed = User.objects.exclude(kind=User.Kind.CITY)
    lagging = sorted(feed.values_list("pk", flat=True))[:3]
    User.objects.filter(pk__in=lagging).update(directory_schools=[], directory_classes=[])
    before, updated = stamps(), user_rows_updated()
    assert directory_refresh() == []
    assert user_rows_updated() - updated == 3
    assert stamps() == before
    assert not feed.filter(directory_schools=[]).exists()


def test_the_refresh_written_in_small_batches_writes_the_same(two_schools, monkeypatch):
    """Streamed: batches of WRITE_BATCH accounts (2 here) give what one batch gives."""
    from accounts import directory

    account_sync()
    feed = User.objects.exclude(kind=User.Kind.CITY)
    digests = dict(feed.values_list("pk", "directory_digest"))
    groups = {pk: (s, c) for pk, s, c in feed.values_list(
        "pk", "directory_schools", "directory_classes")}  # fmt: skip
    feed.update(directory_digest=None, directory_schools=[], directory_classes=[])
    monkeypatch.setattr(directory, "WRITE_BATCH", 2)
    before = stamps()
    assert sorted(directory_refresh()) == sorted(digests)
    assert moved(before) == set(digests)
    assert dict(feed.values_list("pk", "directory_digest")) == digests
    assert {pk: (s, c) for pk, s, c in feed.values_list(
        "pk", "directory_schools", "directory_classes")} == groups  # fmt: skip
