import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.services import account_sync
from accounts.tests.support import audit_events
from entaix.tests import factories
from entaix.tests.factories import account, add_guardian, guardian_of
from schools.models import Guardian, GuardianLink, Pupil, School

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]


def test_creates_one_account_per_present_person(two_schools):
    staff_accounts = User.objects.filter(kind=User.Kind.STAFF).count()
    assert account_sync(run_id=7) == {"created": 16, "deactivated": 0, "reactivated": 0}

    pupils = list(Pupil.objects.order_by("pk").select_related("account"))
    assert [p.account.login for p in pupils] == ["eleve.martin"] + [
        f"eleve.martin{n}" for n in range(2, 9)
    ]
    guardians = list(Guardian.objects.order_by("pk").select_related("account"))
    assert [g.account.login for g in guardians] == ["parent.martin"] + [
        f"parent.martin{n}" for n in range(2, 9)
    ]
    first = pupils[0].account
    assert (first.kind, first.first_name, first.last_name) == (
        "pupil",
        pupils[0].first_name,
        "Martin",
    )
    assert first.is_active and not first.has_usable_password()
    assert first.activated_at is None
    assert {g.account.kind for g in guardians} == {"guardian"}
    # Staff already had accounts: none created, none touched.
    assert User.objects.filter(kind=User.Kind.STAFF).count() == staff_accounts
    assert len(audit_events("account-created")) == 16
    entry = LogEntry.objects.filter(additional_data__event="account-created").first()
    assert entry.additional_data == {"event": "account-created", "run": 7}
    assert entry.object_repr == f"account {entry.object_id}"


def test_second_sync_changes_nothing_and_writes_nothing(two_schools):
    account_sync()
    logins = dict(User.objects.values_list("pk", "login"))
    entries = LogEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert account_sync() == {"created": 0, "deactivated": 0, "reactivated": 0}
    assert writes(queries) == []
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # 4 per kind of person, whatever the number of persons; 6 more read the exported state
    # (accounts.directory: two streams) and the SCIM groups' versions.
    assert len(selects) == 12 + 6
    assert dict(User.objects.values_list("pk", "login")) == logins
    assert LogEntry.objects.count() == entries


def test_creation_query_count_does_not_grow_with_persons():
    school = factories.SchoolFactory()

    def sync_queries(pupils: int) -> int:
        for _ in range(pupils):
            factories.PupilFactory(school=school)
        with CaptureQueriesContext(connection) as queries:
            assert account_sync()["created"] == pupils
        return len(queries.captured_queries)

    assert sync_queries(3) == sync_queries(40)


def test_persons_of_a_closed_school_get_no_account():
    closed = factories.SchoolFactory(ent_open=False, ent_opened_on=None)
    pupil = factories.PupilFactory(school=closed)
    add_guardian(pupil)
    assert account_sync() == {"created": 0, "deactivated": 0, "reactivated": 0}
    assert User.objects.count() == 0


def test_leavers_are_deactivated_not_deleted_and_come_back(two_schools):
    account_sync()
    pupil = two_schools["a"]["pupils"][0]
    guardian = guardian_of(pupil)
    pupil_account, guardian_account = account(pupil), account(guardian)
    now = timezone.now()
    # What the import does when a pupil leaves: the pupil and their links leave.
    Pupil.objects.filter(pk=pupil.pk).update(left_at=now)
    GuardianLink.objects.filter(pupil=pupil).update(left_at=now)
    Guardian.objects.filter(pk=guardian.pk).update(left_at=now)

    assert account_sync(run_id=8) == {"created": 0, "deactivated": 2, "reactivated": 0}
    assert list(
        User.objects.filter(pk__in=[pupil_account.pk, guardian_account.pk]).values_list(
            "is_active", flat=True
        )
    ) == [False, False]
    assert audit_events("account-deactivated") == sorted([pupil_account.pk, guardian_account.pk])
    assert account_sync() == {"created": 0, "deactivated": 0, "reactivated": 0}

    Pupil.objects.filter(pk=pupil.pk).update(left_at=None)
    GuardianLink.objects.filter(pupil=pupil).update(left_at=None)
    Guardian.objects.filter(pk=guardian.pk).update(left_at=None)
    assert account_sync() == {"created": 0, "deactivated": 0, "reactivated": 2}
    pupil_account.refresh_from_db()
    assert pupil_account.is_active
    assert account(pupil).login == pupil_account.login  # the same account, the same login


def test_closing_a_school_deactivates_its_accounts(two_schools):
    account_sync()
    School.objects.filter(pk=two_schools["b"]["school"].pk).update(ent_open=False)
    # 4 pupils, 4 guardians, the director and 2 teachers of school B.
    assert account_sync() == {"created": 0, "deactivated": 11, "reactivated": 0}
    assert (
        User.objects.filter(
            is_active=False, pupil__school__uai=two_schools["b"]["school"].uai
        ).count()
        == 4
    )
    assert User.objects.get(login="dir.a").is_active
    assert not User.objects.get(login="dir.b").is_active


def test_guardian_with_children_in_two_schools_gets_one_account(two_schools):
    guardian = guardian_of(two_schools["a"]["pupils"][0])
    factories.link(two_schools["b"]["pupils"][0], guardian, legal=2)
    account_sync()
    assert User.objects.filter(guardian=guardian).count() == 1
    # Leaving one school keeps the account: authority remains in the other.
    Pupil.objects.filter(pk=two_schools["a"]["pupils"][0].pk).update(left_at=timezone.now())
    assert account_sync()["deactivated"] == 1  # the pupil only
    assert account(guardian).is_active


def test_contacts_without_authority_get_no_account(two_schools):
    pupil = two_schools["a"]["pupils"][0]
    contact = add_guardian(pupil, legal=0, contact=True, first_name="Tata")
    assert account_sync()["created"] == 16
    contact.refresh_from_db()
    assert contact.account_id is None
    # Losing authority later deactivates the account.
    holder = guardian_of(two_schools["a"]["pupils"][1])
    GuardianLink.objects.filter(guardian=holder).update(legal=0)
    assert account_sync() == {"created": 0, "deactivated": 1, "reactivated": 0}
    assert not account(holder).is_active


def test_login_is_stable_after_a_change_of_name(two_schools):
    account_sync()
    pupil = two_schools["a"]["pupils"][0]
    login = account(pupil).login
    Pupil.objects.filter(pk=pupil.pk).update(first_name="Zoé", last_name="Bérard")
    assert account_sync() == {"created": 0, "deactivated": 0, "reactivated": 0}
    renamed = account(pupil)
    assert renamed.login == login == "eleve.martin"
    assert (renamed.first_name, renamed.last_name) == ("Zoé", "Bérard")
    # A newcomer called like the old name does not get the old login back.
    factories.PupilFactory(
        school=two_schools["a"]["school"], first_name="Élève", last_name="Martin"
    )
    account_sync()
    assert User.objects.filter(login__startswith="eleve.martin").count() == 9
    assert User.objects.filter(login="eleve.martin9").exists()


def test_homonyms_are_numbered_against_every_existing_login(two_schools):
    factories.UserFactory(login="lea.martin", kind=User.Kind.CITY)
    factories.UserFactory(login="lea.martin2", kind=User.Kind.CITY)
    school = two_schools["a"]["school"]
    for _ in range(2):
        factories.PupilFactory(school=school, first_name="Léa", last_name="Martin")
    account_sync()
    assert sorted(
        User.objects.filter(kind=User.Kind.PUPIL, login__startswith="lea.").values_list(
            "login", flat=True
        )
    ) == ["lea.martin3", "lea.martin4"]


def test_accounts_created_in_bulk_get_distinct_public_ids(two_schools):
    account_sync()
    rows = list(
        User.objects.filter(kind__in=["pupil", "guardian"]).values_list("public_id", flat=True)
    )
    assert len(rows) == 16
    assert len(set(rows)) == 16
    assert None not in rows
