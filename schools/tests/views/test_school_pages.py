import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_sends_staff_to_the_school_list(client, two_schools):
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("schools:school-list")


def test_director_lists_only_their_school(client, two_schools):
    client.force_login(two_schools["a"]["director"].account)
    response = client.get(reverse("schools:school-list"))
    assert response.status_code == 200
    assert [s.uai for s in response.context["schools"]] == [two_schools["a"]["school"].uai]
    assert two_schools["b"]["school"].name not in response.content.decode()


def test_director_cannot_open_another_school(client, two_schools):
    client.force_login(two_schools["a"]["director"].account)
    other = two_schools["b"]["school"]
    response = client.get(reverse("schools:school-detail", args=[other.uai]))
    assert response.status_code == 404
    assert other.name not in response.content.decode()


def test_teacher_sees_only_their_class_on_the_school_page(client, two_schools):
    teacher = two_schools["a"]["teachers"][0]
    client.force_login(teacher.account)
    school = two_schools["a"]["school"]
    response = client.get(reverse("schools:school-detail", args=[school.uai]))
    assert response.status_code == 200
    assert [c.id for c in response.context["classes"]] == [two_schools["a"]["classes"][0].id]
    assert response.context["classes"][0].pupil_count == 2


def test_guardian_account_is_refused_staff_pages(client, two_schools):
    from entaix.tests.factories import UserFactory

    client.force_login(UserFactory(kind="guardian"))
    assert client.get(reverse("schools:school-list")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_anonymous_is_sent_to_login(client, two_schools):
    response = client.get(reverse("schools:school-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_city_school_list_query_count_does_not_grow_with_schools(
    client, city_user, two_schools, django_assert_num_queries
):
    from entaix.tests.factories import SchoolFactory

    client.force_login(city_user)
    with django_assert_num_queries(4):  # session, user, count, page
        client.get(reverse("schools:school-list"))
    SchoolFactory.create_batch(5)
    with django_assert_num_queries(4):
        response = client.get(reverse("schools:school-list"))
    assert len(response.context["schools"]) == 7


def test_city_staff_open_and_close_the_ent_from_the_school_page(client, city_user):
    from entaix.tests.factories import PupilFactory, SchoolFactory
    from schools.models import School

    school = SchoolFactory(ent_open=False, ent_opened_on=None)
    pupil = PupilFactory(school=SchoolFactory())  # another open school: untouched
    client.force_login(city_user)
    response = client.post(
        reverse("schools:school-open", args=[school.uai]), {"opened_on": "2026-09-01"}
    )
    assert response.status_code == 302
    school.refresh_from_db()
    assert (school.ent_open, str(school.ent_opened_on)) == (True, "2026-09-01")
    client.post(reverse("schools:school-close", args=[school.uai]))
    assert School.objects.get(pk=school.pk).ent_open is False
    pupil.refresh_from_db()
    assert pupil.left_at is None


def test_directors_cannot_open_or_close_a_school(client, two_schools):
    school = two_schools["a"]["school"]
    client.force_login(two_schools["a"]["director"].account)
    assert client.post(reverse("schools:school-close", args=[school.uai])).status_code == 403
    school.refresh_from_db()
    assert school.ent_open is True
    assert all(p.left_at is None for p in type(two_schools["a"]["pupils"][0]).objects.all())


def _links(html: str) -> list[str]:
    import re

    main = html[html.index("<main") :] if "<main" in html else html
    return sorted(set(re.findall(r'<a href="(/[^"#]*)"', main)))


@pytest.mark.parametrize("ent_open", [False, True])
def test_every_link_of_a_school_page_answers(client, city_user, ent_open):
    """A closed school's page linked to its staff accounts and import report: both 404."""
    from entaix.tests.factories import SchoolFactory
    from imports.models import ImportRun

    school = SchoolFactory(ent_open=ent_open, ent_opened_on=None if not ent_open else "2026-09-01")
    ImportRun.objects.create(status="applied", trigger="command", school_counts={})
    client.force_login(city_user)
    page = client.get(reverse("schools:school-detail", args=[school.uai]))
    assert page.status_code == 200
    links = [link for link in _links(page.content.decode()) if not link.startswith("/i18n/")]
    staff = reverse("accounts:staff-accounts", args=[school.uai])
    assert (staff in links) is ent_open
    broken = [(link, client.get(link).status_code) for link in links]
    assert [(link, code) for link, code in broken if code != 200] == []


def test_school_list_counts_what_each_scope_holds(client, two_schools):
    """A teacher's list showed whole-school counts; their school page, their classes (issue 20)."""

    def counts(user):
        client.force_login(user)
        response = client.get(reverse("schools:school-list"))
        return [(s.uai, s.class_count, s.pupil_count) for s in response.context["schools"]]

    a = two_schools["a"]
    assert counts(a["teachers"][0].account) == [(a["school"].uai, 1, 2)]
    assert counts(a["director"].account) == [(a["school"].uai, 2, 4)]
    # A teacher of both classes of a school counts both.
    from schools.models import StaffClass

    StaffClass.objects.create(staff=a["teachers"][0], school_class=a["classes"][1])
    assert counts(a["teachers"][0].account) == [(a["school"].uai, 2, 4)]
