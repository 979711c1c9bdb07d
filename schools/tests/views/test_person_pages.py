import pytest
from django.urls import reverse

from entaix.tests import factories

pytestmark = pytest.mark.django_db


def test_director_opens_a_pupil_of_their_school_with_links_and_flags(client, two_schools):
    pupil = two_schools["a"]["pupils"][0]
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("schools:pupil", args=[pupil.pk]))
    assert response.status_code == 200
    assert response.context["person"] == pupil
    assert [(link.legal, link.relation) for link in response.context["links"]] == [(1, "mother")]


@pytest.mark.parametrize("name", ["schools:pupil", "schools:guardian"])
def test_director_gets_404_for_a_person_of_another_school(client, two_schools, name):
    pupil = two_schools["b"]["pupils"][0]
    target = pupil if name == "schools:pupil" else pupil.guardians.get()
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse(name, args=[target.pk]))
    assert response.status_code == 404
    assert target.first_name not in response.content.decode()


def test_teacher_sees_only_pupils_of_their_class(client, two_schools):
    teacher = two_schools["a"]["teachers"][0]
    own, other = two_schools["a"]["pupils"][0], two_schools["a"]["pupils"][2]
    client.force_login(teacher.account)
    assert client.get(reverse("schools:pupil", args=[own.pk])).status_code == 200
    assert client.get(reverse("schools:pupil", args=[other.pk])).status_code == 404


def test_guardian_page_hides_children_outside_the_scope(client, two_schools):
    shared = two_schools["a"]["pupils"][0].guardians.get()
    factories.link(two_schools["b"]["pupils"][0], shared, legal=2, relation="father")
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("schools:guardian", args=[shared.pk]))
    assert [link.pupil for link in response.context["links"]] == [two_schools["a"]["pupils"][0]]


def test_feed_history_lists_applied_changes(client, two_schools, city_user):
    from django.utils import timezone

    from imports.models import ImportPlanItem, ImportRun

    pupil = two_schools["a"]["pupils"][0]
    run = ImportRun.objects.create(status="applied", trigger="command", applied_at=timezone.now())
    ImportPlanItem.objects.create(
        run=run, seq=0, kind="pupil", action="update", key=pupil.join_key,
        data={"last_name": "X"},
    )  # fmt: skip
    held = ImportRun.objects.create(status="held", trigger="command")
    ImportPlanItem.objects.create(run=held, seq=0, kind="pupil", action="leave", key=pupil.join_key)
    client.force_login(city_user)
    response = client.get(reverse("schools:pupil", args=[pupil.pk]))
    assert [(i.run_id, i.action) for i in response.context["history"]] == [(run.pk, "update")]


def test_search_finds_by_name_or_login_within_scope_only(client, two_schools):
    a_pupil, b_pupil = two_schools["a"]["pupils"][0], two_schools["b"]["pupils"][0]
    a_pupil.last_name = b_pupil.last_name = "Zerbib"
    a_pupil.save()
    b_pupil.save()
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("schools:person-search"), {"q": "zerb"})
    assert response.context["results"]["pupils"] == [a_pupil]
    both = client.get(reverse("schools:person-search"), {"q": f"zerb {a_pupil.first_name[:4]}"})
    assert both.context["results"]["pupils"] == [a_pupil]
    neither = client.get(reverse("schools:person-search"), {"q": "erbib"})  # not a prefix
    assert neither.context["results"]["pupils"] == []
    by_login = client.get(reverse("schools:person-search"), {"q": "ens.a0"})
    assert by_login.context["results"]["staff"] == [two_schools["a"]["teachers"][0]]


def test_search_needs_two_characters(client, two_schools):
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("schools:person-search"), {"q": "a"})
    assert response.context["results"] == {"pupils": [], "guardians": [], "staff": []}


def test_shared_teacher_page_shows_only_the_viewers_school(client, two_schools):
    from schools.models import StaffAssignment, StaffClass

    shared = two_schools["b"]["teachers"][1]
    StaffAssignment.objects.create(staff=shared, school=two_schools["a"]["school"])
    StaffClass.objects.create(staff=shared, school_class=two_schools["a"]["classes"][1])
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("schools:staff", args=[shared.pk]))
    assert response.status_code == 200
    assert [a.school for a in response.context["assignments"]] == [two_schools["a"]["school"]]
    assert list(response.context["classes"]) == [two_schools["a"]["classes"][1]]
    body = response.content.decode()
    assert two_schools["b"]["school"].name not in body
    assert two_schools["b"]["classes"][1].name not in body
