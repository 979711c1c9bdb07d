"""People outside the feed live like the feed's staff: accounts, letters, resets and scope;
they leave the day after their end date, then the staff retention rule removes them. The AAF
import never plans, matches or ends them."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services as account_services
from accounts.letter_selectors import letter_batch_selection
from accounts.models import ActivationCode, RenewalRequest, User
from accounts.scope import scope_for_user
from accounts.selectors import renewal_recipients, school_staff_for_user
from imports import services as import_services
from imports import tasks
from imports.city import services
from imports.models import ImportRun
from imports.tests.feeds import copy_set
from privacy import inventory
from privacy.services.retention import retention_purge
from schools.models import School, Staff

pytestmark = pytest.mark.django_db


def person(schools, *, last="Martin", first="Sophie", uais=("0130001A",), end=None, actor=None):
    today = timezone.localdate()
    values = {"last_name": last, "first_name": first, "civility": "", "email": "",
              "role": Staff.Role.ATSEM, "start_date": today - datetime.timedelta(days=30),
              "end_date": end or today + datetime.timedelta(days=300),
              "school_ids": [schools[u[-1]].pk for u in uais]}  # fmt: skip
    return services.city_person_create(values=values, actor=actor)


def test_they_get_an_account_a_letter_a_reset_and_are_in_their_school_directors_scope(
    city_schools, school_service
):
    sophie = person(city_schools, actor=school_service)
    sophie.refresh_from_db()
    account = sophie.account
    assert (account.login, account.kind, account.is_active) == ("sophie.martin", "staff", True)
    director = city_schools["feed_staff"].account  # Hélène directs school A
    assert [s.pk for s in school_staff_for_user(user=director, school=city_schools["A"])] == [
        city_schools["feed_staff"].pk, sophie.pk,
    ]  # fmt: skip
    selection = letter_batch_selection(
        user=director, school=city_schools["A"], profile="staff", batch_filter="not-printed"
    )
    logins = [e.login for g in selection.groups for e in g.entries]
    assert "sophie.martin" in logins
    assert account_services.account_reset(accounts=[account], actor=director) == [account.pk]
    assert ActivationCode.objects.filter(account=account).count() == 1
    # A forgotten password without a confirmed e-mail: a slip from the school's director.
    assert [r[0] for r in renewal_recipients(account=account)] == [director.pk]
    account_services.account_recovery_request(identifier="sophie.martin")
    assert list(RenewalRequest.objects.values_list("account_id", "status")) == [
        (account.pk, "open")
    ]
    # Their own scope is empty: an ATSEM directs no school and teaches no class.
    assert scope_for_user(User.objects.get(pk=account.pk)).is_empty


def test_they_leave_the_day_after_their_end_date_then_retention_removes_them(
    city_schools, school_service
):
    today = timezone.localdate()
    leaving = person(city_schools, end=today, actor=school_service)
    staying = person(city_schools, last="Girard", first="Paul", actor=school_service)
    assert services.city_persons_leave(today=today)["left"] == 0  # the end date is still worked
    result = services.city_persons_leave(today=today + datetime.timedelta(days=1))
    assert result == {"left": 1, "accounts": {"created": 0, "deactivated": 1, "reactivated": 0}}
    leaving.refresh_from_db()
    staying.refresh_from_db()
    assert leaving.left_at is not None and staying.left_at is None
    assert (leaving.account.is_active, staying.account.is_active) == (False, True)
    account_id = leaving.account_id
    # The staff rule: not kept after departure.
    purge = retention_purge(today=timezone.localdate(leaving.left_at), apply=True)
    assert purge.run.counts["schools.staff"] == 1
    assert not Staff.objects.filter(pk=leaving.pk).exists()
    assert not User.objects.filter(pk=account_id).exists()
    assert Staff.objects.filter(pk=staying.pk, left_at__isnull=True).exists()


def test_the_daily_task_and_its_schedule(city_schools, school_service):
    today = timezone.localdate()
    person(city_schools, end=today - datetime.timedelta(days=0), actor=school_service)
    Staff.objects.filter(source="city").update(
        start_date=today - datetime.timedelta(days=60), end_date=today - datetime.timedelta(days=1)
    )
    assert tasks.city_persons_leave_task() == 1
    assert tasks.city_persons_leave_task() == 0  # idempotent: Celery may deliver twice
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["city-persons-leave"]["task"] == "imports.tasks.city_persons_leave_task"
    assert (
        schedule["city-person-imports-expire"]["task"]
        == "imports.tasks.city_person_imports_expire_task"
    )


def test_they_are_in_the_inventory_with_their_source(city_schools, school_service):
    person(city_schools, actor=school_service)
    person(city_schools, last="Girard", first="Paul", actor=school_service)
    rows = {(r["label"], r["value"]): (r["source"], r["present"]) for r in inventory.row_sources()}
    assert rows == {
        ("schools.staff", "aaf"): (inventory.Source.AAF.label, 1),
        ("schools.staff", "city"): (inventory.Source.STAFF.label, 2),
    }
    for name in ("source", "role", "start_date", "end_date"):
        assert inventory.classify("schools.staff", name) == inventory.FieldClass(
            True, inventory.Source.STAFF, inventory.Rule.STAFF
        )


# --- the AAF import never touches them -----------------------------------------------------


@pytest.fixture
def imported(tmp_path):
    run = import_services.import_files(
        paths=[copy_set("complet_20260901", tmp_path / "complet", days_ago=2)],
        trigger=ImportRun.Trigger.COMMAND,
    )
    assert run.status == ImportRun.Status.APPLIED
    import_services.school_open_reconcile(
        uais=["0131234A", "0135678B"], opened_on=timezone.localdate()
    )
    return run


def city_rows():
    return sorted(
        Staff.objects.filter(source="city").values_list(
            "pk", "join_key", "last_name", "first_name", "left_at", "last_seen_at",
            "last_changed_run", "feed_digest", "account_id", "account__is_active",
        )
    )  # fmt: skip


def test_a_complet_without_them_neither_ends_nor_counts_them(imported, tmp_path, school_service):
    schools = {"A": School.objects.get(uai="0131234A")}
    # The feed's director's namesake in her school (the checks refuse it; the service is called
    # directly, as if the feed had brought Hélène after the city entered her), and another.
    person(schools, last="GARÇON-LEFÈVRE", first="Hélène", uais=("A",), actor=school_service)
    person(schools, last="Martin", first="Sophie", uais=("A",), actor=school_service)
    before = city_rows()
    assert [row[4] for row in before] == [None, None]
    run = import_services.import_files(
        paths=[copy_set("complet_20260901", tmp_path / "again", days_ago=1)],
        trigger=ImportRun.Trigger.COMMAND,
    )
    assert run.status == ImportRun.Status.APPLIED, run.held_reasons
    # A Complet "deletes" whoever it does not list: not these two. Nothing planned for them.
    assert run.counts["staff"] == {"created": 0, "updated": 0, "left": 0, "returned": 0,
                                   "unchanged": 3}  # fmt: skip
    assert city_rows() == before
    assert run.plan_items.filter(key__startswith="ville:").count() == 0
    feed = Staff.objects.get(join_key="2001")
    assert (feed.source, feed.left_at) == ("aaf", None)


def test_closing_a_school_leaves_its_people_and_nobody_at_another_school(
    city_schools, school_service
):
    """A city person waiting for school C to open is not ended by the closing of school A;
    one assigned to A alone is, as the feed's staff of A are."""
    waiting = person(city_schools, last="Blanc", uais=("0130003C",), actor=school_service)
    at_a = person(city_schools, last="Noir", uais=("0130001A",), actor=school_service)
    both = person(city_schools, last="Gris", uais=("0130001A", "0130002B"), actor=school_service)
    run = import_services.school_close_reconcile(uais=["0130001A"], actor=school_service)
    left = dict(Staff.objects.values_list("last_name", "left_at"))
    assert left == {"Blanc": None, "Noir": run.applied_at, "Gris": None, "DURAND": run.applied_at}
    assert sorted(both.assignments.values_list("school__uai", flat=True)) == ["0130002B"]
    assert sorted(waiting.assignments.values_list("school__uai", flat=True)) == ["0130003C"]
    assert run.counts["staff"] == {"left": 2}
    at_a.refresh_from_db()
    assert at_a.account.is_active is False
