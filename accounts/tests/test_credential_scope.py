"""Who may obtain a credential (activation letter, reset, renewal slip) for whom: the role by
account-reach matrix of `accounts.scope.credential_accounts_for_user`, and the pages that use it
refuse without changing anything."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts import scope, services
from accounts.models import ActivationCode, LetterBatch, RenewalRequest, User
from entaix.tests import factories
from entaix.tests.factories import PASSWORD, account, guardian_of
from schools.models import StaffAssignment, StaffClass

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(synced):
    """Accounts of every reach, named.

    School A: class 0 holds pupils a0, a1; class 1 holds a2, a3. School B: b0…b3.
    - g_a0: guardian of a0 only; g_sib: guardian of a1 (class 0) and a2 (class 1);
    - g_multi: guardian of a3 (school A) and b0 (school B), as with a maternelle and an élémentaire;
    - g_contact: guardian with authority over a0's sibling… here a contact-only link to b1 and
      authority over a0 (a contact link gives no reach);
    - t_a0 teaches class 0 of A only; t_shared teaches class 1 of A and class 1 of B.
    """
    a, b = synced["a"], synced["b"]
    g_sib = guardian_of(a["pupils"][1])
    factories.link(a["pupils"][2], g_sib, legal=2, relation="father")
    g_multi = guardian_of(a["pupils"][3])
    factories.link(b["pupils"][0], g_multi, legal=1)
    g_contact = factories.GuardianFactory()
    factories.link(a["pupils"][0], g_contact, legal=2, relation="father")
    factories.link(b["pupils"][1], g_contact, legal=0, relation="other")
    shared = b["teachers"][1]
    StaffAssignment.objects.create(staff=shared, school=a["school"])
    StaffClass.objects.create(staff=shared, school_class=a["classes"][1])
    services.account_sync()
    people = {
        "p_a0": a["pupils"][0],
        "p_a2": a["pupils"][2],
        "p_b0": b["pupils"][0],
        "g_a0": a["pupils"][0].guardian_links.get(legal=1).guardian,
        "g_sib": g_sib,
        "g_multi": g_multi,
        "g_contact": g_contact,
        "t_a0": a["teachers"][0],
        "t_shared": shared,
        "d_b": b["director"],
        "t_b0": b["teachers"][0],
    }
    accounts = {name: account(person) for name, person in people.items()}
    actors = {
        "city": factories.UserFactory(login="agent.ville", kind=User.Kind.CITY),
        "dir_a": account(a["director"]),
        "dir_b": account(b["director"]),
        "teacher_a0": account(a["teachers"][0]),
        "teacher_a1": account(a["teachers"][1]),
    }
    return {"accounts": accounts, "actors": actors}


EVERYONE = {
    "p_a0", "p_a2", "p_b0", "g_a0", "g_sib", "g_multi", "g_contact", "t_a0", "t_shared", "d_b",
    "t_b0",
}  # fmt: skip
EXPECTED = {
    "city": EVERYONE,
    # Their school's pupils, guardians whose children are all in A, staff working only in A.
    "dir_a": {"p_a0", "p_a2", "g_a0", "g_sib", "g_contact", "t_a0"},
    "dir_b": {"p_b0", "d_b", "t_b0"} - {"d_b"},  # never oneself
    # Their class's pupils and the guardians whose children are all in it; no staff.
    "teacher_a0": {"p_a0", "g_a0", "g_contact"},
    "teacher_a1": {"p_a2"},
}


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_credential_matrix(world, actor):
    user = world["actors"][actor]
    allowed = set(scope.credential_accounts_for_user(user).values_list("pk", flat=True))
    got = {name for name, acc in world["accounts"].items() if acc.pk in allowed}
    assert got == EXPECTED[actor]
    for name, acc in world["accounts"].items():
        assert scope.may_obtain_credentials(user, [acc.pk]) is (name in EXPECTED[actor])


def test_nobody_gets_credentials_for_themselves_or_city_accounts(world):
    city = world["actors"]["city"]
    other_city = factories.UserFactory(login="agent.deux", kind=User.Kind.CITY)
    assert not scope.may_obtain_credentials(city, [city.pk])
    assert not scope.may_obtain_credentials(city, [other_city.pk])
    for name in ("dir_a", "teacher_a0"):
        user = world["actors"][name]
        assert not scope.may_obtain_credentials(user, [user.pk])


def test_pupils_guardians_and_departed_staff_get_nothing(world):
    parent = world["accounts"]["g_a0"]
    assert scope.credential_accounts_for_user(parent).count() == 0
    world["accounts"]["t_a0"].staff.left_at = timezone.now()
    world["accounts"]["t_a0"].staff.save(update_fields=["left_at"])
    teacher = User.objects.get(pk=world["accounts"]["t_a0"].pk)
    assert scope.credential_accounts_for_user(teacher).count() == 0


def _snapshot():
    return (
        list(User.objects.order_by("pk").values_list("pk", "password", "activated_at")),
        list(ActivationCode.objects.order_by("pk").values_list("pk", "digest")),
        list(RenewalRequest.objects.order_by("pk").values_list("pk", "status")),
        LogEntry.objects.count(),
        LetterBatch.objects.count(),
    )


def _activate(user: User) -> User:
    user.set_password(PASSWORD)
    user.activated_at = timezone.now()
    user.save()
    return user


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("dir_b", "t_shared"),
        ("dir_a", "t_shared"),
        ("dir_a", "g_multi"),
        ("dir_b", "g_multi"),
        ("teacher_a0", "g_sib"),
    ],
)
def test_refused_reset_and_letter_change_nothing(client, world, actor, target):
    user = world["actors"][actor]
    victim = _activate(world["accounts"][target])
    client.force_login(user)
    before = _snapshot()
    reset = client.post(reverse("accounts:account-reset"), {"ids": [victim.pk]}, follow=True)
    assert reset.status_code == 200
    assert "le service des écoles" in reset.content.decode()
    victim.set_unusable_password()
    victim.save()
    before = _snapshot()
    letter = client.post(reverse("accounts:letter-batch-create"), {"ids": [victim.pk]})
    assert letter.status_code == 302
    assert letter.get("Content-Type", "").startswith("text/html")
    assert _snapshot() == before


def test_refused_before_anything_is_written_in_the_services(world):
    user = world["actors"]["dir_b"]
    victim = _activate(world["accounts"]["t_shared"])
    before = _snapshot()
    with pytest.raises(Exception) as error:
        services.account_reset(accounts=[victim], actor=user)
    assert error.value.code == "beyond-scope"
    with pytest.raises(Exception) as error:
        services.letter_batch_create(actor=user, kind="selection", account_ids=[victim.pk])
    assert error.value.code == "beyond-scope"
    assert _snapshot() == before


def test_city_staff_print_the_multi_school_guardian_and_shared_teacher(client, world):
    client.force_login(world["actors"]["city"])
    shared = world["accounts"]["t_shared"]
    shared.set_unusable_password()
    shared.save()
    targets = [world["accounts"]["g_multi"].pk, shared.pk]
    response = client.post(reverse("accounts:letter-batch-create"), {"ids": targets})
    assert response["Content-Type"] == "application/pdf"
    assert LetterBatch.objects.get().count == 2


def test_class_letters_leave_out_guardians_reaching_elsewhere(client, world):
    """Class 1 of A: a2 (guardians g_sib, own guardian), a3 (g_multi). Teacher a1 sees only
    the guardians whose children are all in class 1."""
    from accounts import selectors

    a_class1 = world["accounts"]["p_a2"].pupil.class_links.get().school_class
    ids = selectors.class_letter_account_ids(
        user=world["actors"]["teacher_a1"], school_class=a_class1, audience="guardian"
    )
    names = {n for n, acc in world["accounts"].items() if acc.pk in ids}
    assert names == set()
    assert len(ids) == 1  # a2's own guardian, whose only child is in class 1
    director_ids = selectors.class_letter_account_ids(
        user=world["actors"]["dir_a"], school_class=a_class1, audience="guardian"
    )
    assert world["accounts"]["g_sib"].pk in director_ids
    assert world["accounts"]["g_multi"].pk not in director_ids
    assert len(director_ids) == 2


def test_renewal_queue_of_a_director_leaves_out_shared_teachers(world):
    from accounts import selectors

    shared = world["accounts"]["t_shared"]
    mine = world["accounts"]["t_b0"]
    for acc in (shared, mine):
        RenewalRequest.objects.create(account=acc)
    queue = selectors.renewal_requests_for_user(user=world["actors"]["dir_b"])
    assert [r.account_id for r in queue] == [mine.pk]
    city_queue = selectors.renewal_requests_for_user(user=world["actors"]["city"])
    assert sorted(r.account_id for r in city_queue) == sorted([shared.pk, mine.pk])


def test_renewal_slip_beyond_scope_is_refused_and_changes_nothing(client, world):
    shared = _activate(world["accounts"]["t_shared"])
    request = RenewalRequest.objects.create(account=shared)
    client.force_login(world["actors"]["dir_b"])
    before = _snapshot()
    response = client.post(reverse("accounts:renewal-print"), {"ids": [request.pk]})
    assert response.status_code == 404
    assert _snapshot() == before
    shared.refresh_from_db()
    assert shared.check_password(PASSWORD)


def test_class_letters_say_how_many_are_left_to_the_school_service(
    client, world, django_capture_on_commit_callbacks
):
    teacher = world["actors"]["teacher_a1"]
    a_class1 = world["accounts"]["p_a2"].pupil.class_links.get().school_class
    client.force_login(teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:class-letters", args=[a_class1.pk]), {"audience": "guardian"}
        )
    batch = LetterBatch.objects.get()
    assert (batch.status, batch.count) == ("done", 1)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        "2 comptes de cette classe dépassent votre périmètre : le service des écoles imprime "
        "leurs lettres."
    ]
