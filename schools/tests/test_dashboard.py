"""The city dashboard: exact figures per school and class, scope, charts, constant queries."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import dashboard
from accounts.models import User
from imports.models import DeliveryAlert, ImportRun
from schools import charts
from schools.tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()
URL = "/ecoles/tableau-de-bord/"
PUPIL, GUARDIAN, STAFF = User.Kind.PUPIL, User.Kind.GUARDIAN, User.Kind.STAFF


@pytest.fixture(autouse=True)
def no_cache(settings):
    """Exact figures after every change; `test_figures_are_cached` turns the cache back on."""
    settings.DASHBOARD_CACHE_SECONDS = 0


def account(kind, *, activated=False, active=True, email="", confirmed=False):
    return factories.UserFactory(
        kind=kind,
        activated_at=NOW if activated else None,
        is_active=active,
        email=email,
        email_confirmed_at=NOW if confirmed else None,
    )


def pupil(school, school_class=None, *, left=False, **account_kwargs):
    person = factories.PupilFactory(
        school=school,
        left_at=NOW if left else None,
        account=account(PUPIL, **account_kwargs) if account_kwargs else None,
    )
    if school_class is not None:
        factories.enrol(person, school_class)
    return person


def guardian(*children, legal=1, email="", left=False, link_left=False, account_kwargs=None):
    person = factories.GuardianFactory(
        email=email,
        left_at=NOW if left else None,
        account=account(GUARDIAN, **account_kwargs) if account_kwargs is not None else None,
    )
    for child in children:
        link = factories.link(child, person, legal=legal)
        if link_left:
            link.left_at = NOW
            link.save()
    return person


@pytest.fixture
def world(db):
    """Two open schools (A: classes A1, A2; B: class B1) and a closed school C."""
    a = factories.SchoolFactory(name="École A")
    b = factories.SchoolFactory(name="École B")
    c = factories.SchoolFactory(name="École C", ent_open=False, ent_opened_on=None)
    a1 = factories.SchoolClassFactory(school=a, name="A1")
    a2 = factories.SchoolClassFactory(school=a, name="A2")
    b1 = factories.SchoolClassFactory(school=b, name="B1")
    c1 = factories.SchoolClassFactory(school=c, name="C1")

    p1 = pupil(a, a1, activated=True)
    p2 = pupil(a, a1, activated=False)
    p3 = pupil(a, a1)  # no account yet
    p4 = pupil(a, a2, activated=True)
    p5 = pupil(a, a2, left=True, activated=True)  # left, account still active
    pupil(a, a2, activated=True, active=False)  # activated once, deactivated since
    pupil(a, a2, left=True, activated=True, active=False)  # left, account deactivated: done
    q1 = pupil(b, b1, activated=True)
    q2 = pupil(b, b1, activated=False)
    r1 = pupil(c, c1, activated=True)  # closed school: never counted

    guardian(p1, p2, account_kwargs={"activated": True})  # g1, no e-mail anywhere
    guardian(p1, legal=2, email="g2@example.org", account_kwargs={})  # g2
    guardian(p2, legal=0, account_kwargs={"activated": True})  # a contact, no authority
    guardian(p4, account_kwargs={"activated": True, "email": "g4@example.org", "confirmed": True})
    guardian(p5, account_kwargs={"activated": True})  # only child left
    guardian(p3, link_left=True, account_kwargs={"activated": True})  # link ended
    guardian(p3, left=True, account_kwargs={"activated": True})  # left, account still active
    guardian(p3)  # g8: no account, no e-mail
    guardian(p4, q1, email="g9@example.org", account_kwargs={"activated": True})  # two schools
    guardian(q2, account_kwargs={"email": "g10@example.org"})  # e-mail not confirmed
    guardian(r1, account_kwargs={"activated": True})  # closed school

    factories.make_director(a, account=account(STAFF, activated=True))
    factories.make_teacher(a1, account=account(STAFF))
    factories.make_teacher(a2, account=account(STAFF, activated=True))
    factories.make_teacher(a2, b1, account=account(STAFF, activated=True))  # two schools
    factories.make_director(a, left_at=NOW, account=account(STAFF, activated=True))  # left
    factories.make_director(b, account=account(STAFF))
    factories.make_director(c, account=account(STAFF, activated=True))
    return {"a": a, "b": b, "c": c, "a1": a1, "a2": a2, "b1": b1}


def figures(row):
    return (
        (row.guardians.activated, row.guardians.base),
        (row.pupils.activated, row.pupils.base),
        (row.staff.activated, row.staff.base),
        row.guardians_without_email,
    )


def test_rates_and_counts_per_school(world, city_user):
    rows, total = dashboard.school_activation_rows(user=city_user)
    assert [row.item for row in rows] == [world["a"], world["b"]]
    a, b = rows
    assert figures(a) == ((3, 5), (2, 4), (3, 4), 2)
    assert (a.guardians.rate, a.pupils.rate, a.staff.rate) == (60.0, 50.0, 75.0)
    assert figures(b) == ((1, 2), (1, 2), (1, 2), 1)
    assert b.guardians.rate == 50.0
    # Guardian 9 and the shared teacher count once in the total.
    assert figures(total) == ((3, 6), (3, 6), (3, 5), 3)
    assert total.item is None and total.guardians.rate == 50.0


def test_rates_and_counts_per_class(world, city_user):
    rows = dashboard.class_activation_rows(user=city_user, school=world["a"])
    assert [row.item for row in rows] == [world["a1"], world["a2"]]
    a1, a2 = rows
    assert figures(a1) == ((1, 3), (1, 2), (0, 1), 2)
    assert round(a1.guardians.rate, 2) == 33.33
    assert a1.staff.rate == 0.0
    assert figures(a2) == ((2, 2), (1, 2), (2, 2), 0)
    assert (a2.guardians.rate, a2.pupils.rate, a2.staff.rate) == (100.0, 50.0, 100.0)
    [b1] = dashboard.class_activation_rows(user=city_user, school=world["b"])
    assert figures(b1) == ((1, 2), (1, 2), (1, 1), 1)


def test_empty_school_and_class_have_no_rate(db, city_user):
    school = factories.SchoolFactory(name="École vide")
    empty_class = factories.SchoolClassFactory(school=school)
    [row], total = dashboard.school_activation_rows(user=city_user)
    assert row.item == school and figures(row) == ((0, 0), (0, 0), (0, 0), 0)
    assert (row.guardians.rate, row.pupils.rate, row.staff.rate) == (None, None, None)
    assert figures(total) == ((0, 0), (0, 0), (0, 0), 0)
    [class_row] = dashboard.class_activation_rows(user=city_user, school=school)
    assert class_row.item == empty_class and class_row.guardians.rate is None


def test_pending_removal(world):
    assert dashboard.account_pending_removal_counts() == {
        "pupils": 1,
        "guardians": 1,
        "staff": 1,
        "total": 3,
    }


def test_accounts_reaching_several_schools_are_counted(client, two_schools, city_user):
    from schools.models import StaffAssignment

    a, b = two_schools["a"], two_schools["b"]
    services_sync()
    factories.link(b["pupils"][0], a["pupils"][0].guardians.get(), legal=2, relation="father")
    factories.link(b["pupils"][1], a["pupils"][1].guardians.get(), legal=0, relation="other")
    StaffAssignment.objects.create(staff=b["teachers"][1], school=a["school"])
    assert dashboard.city_only_credential_counts() == {"guardians": 1, "staff": 1, "total": 2}
    client.force_login(city_user)
    response = client.get(URL)
    assert response.context["city_only_credentials"]["total"] == 2
    assert "Comptes rattachés à plusieurs écoles" in response.content.decode()


def services_sync():
    from accounts import services

    services.account_sync()


def test_trend_is_cumulative_per_week_in_local_time():
    now = timezone.make_aware(datetime.datetime(2025, 3, 12, 10, 0))  # a Wednesday, Paris

    def at(*args):
        return timezone.make_aware(datetime.datetime(*args))

    for moment in (
        at(2024, 11, 1, 12),  # before the window: counted from the first week on
        at(2024, 11, 26, 9),  # first week (Monday 25 November)
        at(2025, 1, 8, 9),
        at(2025, 1, 12, 23, 59),  # Sunday night: still the week of 6 January
        at(2025, 3, 10, 0, 30),  # Monday in Paris, still Sunday in UTC: this week
        at(2025, 3, 11, 8),  # this week
    ):
        factories.UserFactory(kind=GUARDIAN, activated_at=moment)
    factories.UserFactory(kind=STAFF, activated_at=at(2025, 1, 8), is_active=False)
    factories.UserFactory(kind=User.Kind.CITY, activated_at=at(2025, 1, 8))  # not a person
    factories.UserFactory(kind=PUPIL)  # never activated

    trend = dashboard.activation_trend(now=now)
    assert len(trend) == 16
    assert trend[0][0] == datetime.date(2024, 11, 25)
    assert trend[-1][0] == datetime.date(2025, 3, 10)
    assert all(monday.weekday() == 0 for monday, _value in trend)
    assert [value for _monday, value in trend] == [2] * 6 + [5] * 9 + [7]


def test_dashboard_page(world, city_user, client):
    ImportRun.objects.create(status=ImportRun.Status.APPLIED, trigger="command")
    held = ImportRun.objects.create(
        status=ImportRun.Status.HELD,
        trigger="schedule",
        feed_date=datetime.date(2025, 3, 11),
        held_reasons=["too-old", "unknown-code"],
    )
    alert = DeliveryAlert.objects.create(
        date=datetime.date(2025, 3, 12), code="missing", message=""
    )
    DeliveryAlert.objects.create(
        date=datetime.date(2025, 3, 10), code="missing", message="", resolved_at=NOW
    )
    client.force_login(city_user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.templates[0].name == "schools/dashboard.html"
    context = response.context
    assert [figures(row) for row in context["rows"]] == [
        ((3, 5), (2, 4), (3, 4), 2),
        ((1, 2), (1, 2), (1, 2), 1),
    ]
    assert context["pending_removal"]["total"] == 3
    assert context["last_run"] == held
    assert [code for code, _text in context["held_reasons"]] == ["too-old", "unknown-code"]
    assert context["alerts"] == [alert]
    assert context["selected"] is None and context["class_rows"] == []
    assert len(context["trend"]) == 16
    html = response.content.decode()
    assert html.count('<table class="data"') == 2  # schools and the trend's figures
    assert html.count("<caption>") == 2
    assert 'scope="row"' in html and 'scope="colgroup"' in html
    assert reverse("schools:dashboard") in [url for url, _label in context["nav_items"]]


def test_rate_chart_has_one_bar_per_school_at_the_right_width(world, city_user, client):
    client.force_login(city_user)
    html = client.get(URL).content.decode()
    [svg] = re.findall(r'<svg[^>]*id="chart-rates".*?</svg>', html, re.S)
    assert 'role="img"' in svg and '<title id="chart-rates-title">' in svg
    assert '<desc id="chart-rates-desc">' in svg
    bars = re.findall(r'<title>([^<]*)</title><text[^>]*>[^<]*</text><rect class="bar"[^>]*'
                      r'width="([\d.]+)"', svg)  # fmt: skip
    # 60 % and 50 % of the 400 px scale.
    assert bars == [("École A — 60 %", "240.0"), ("École B — 50 %", "200.0")]
    [trend] = re.findall(r'<svg[^>]*id="chart-trend".*?</svg>', html, re.S)
    assert trend.count('<circle class="point"') == 16
    assert "<polyline" in trend


def test_classes_of_a_chosen_school(world, city_user, client):
    client.force_login(city_user)
    response = client.get(URL, {"ecole": world["a"].uai})
    assert response.status_code == 200
    assert response.context["selected"] == world["a"]
    assert [(row.item.name, figures(row)) for row in response.context["class_rows"]] == [
        ("A1", ((1, 3), (1, 2), (0, 1), 2)),
        ("A2", ((2, 2), (1, 2), (2, 2), 0)),
    ]
    assert 'id="class-rates"' in response.content.decode()
    # A closed school, or an unknown one, is not on the dashboard.
    assert client.get(URL, {"ecole": world["c"].uai}).status_code == 404
    assert client.get(URL, {"ecole": "0000000Z"}).status_code == 404


def test_directors_teachers_and_others_are_refused(world, client):
    director = factories.make_director(world["a"], account__login="dir.a")
    teacher = factories.make_teacher(world["a1"], account__login="ens.a")
    for user in (director.account, teacher.account, account(GUARDIAN, activated=True)):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        items = [url for url, _label in client.get(reverse("account:detail")).context["nav_items"]]
        assert URL not in items
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


def _grow(world):
    """Three more open schools, each with classes, pupils, guardians and staff."""
    for n in range(3):
        school = factories.SchoolFactory(name=f"École Z{n}")
        for _ in range(2):
            school_class = factories.SchoolClassFactory(school=school)
            child = pupil(school, school_class, activated=True)
            guardian(child, account_kwargs={"activated": bool(n % 2)})
            factories.make_teacher(school_class, account=account(STAFF, activated=True))
    for _ in range(3):
        school_class = factories.SchoolClassFactory(school=world["a"])
        guardian(pupil(world["a"], school_class, activated=True), account_kwargs={})


def test_constant_number_of_queries(world, city_user, client, django_assert_num_queries):
    client.force_login(city_user)
    ImportRun.objects.create(status=ImportRun.Status.HELD, trigger="schedule", held_reasons=["x"])
    # Session, user; schools; guardians, pupils, staff per school; guardian and staff totals;
    # trend; pending removals (pupils, guardians, staff); accounts reaching several schools
    # (guardians, staff); last run, open alerts.
    with django_assert_num_queries(16):
        client.get(URL)
    # The same, plus classes, guardians / pupils / teachers per class.
    with django_assert_num_queries(20):
        client.get(URL, {"ecole": world["a"].uai})
    _grow(world)
    with django_assert_num_queries(16):
        client.get(URL)
    with django_assert_num_queries(20):
        client.get(URL, {"ecole": world["a"].uai})


def test_figures_are_cached_for_city_staff(
    world, city_user, client, settings, django_assert_num_queries
):
    from django.core.cache import cache

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.delete(dashboard.CACHE_KEY)
    client.force_login(city_user)
    try:
        with django_assert_num_queries(16):
            client.get(URL)
        guardian(pupil(world["b"], world["b1"]), account_kwargs={"activated": True})
        # Session, user, last run, open alerts: the figures come from the cache, unchanged.
        with django_assert_num_queries(4):
            response = client.get(URL)
        assert figures(response.context["rows"][1]) == ((1, 2), (1, 2), (1, 2), 1)
        cache.delete(dashboard.CACHE_KEY)
        response = client.get(URL)
        assert figures(response.context["rows"][1]) == ((2, 3), (1, 2), (1, 2), 2)
    finally:
        cache.delete(dashboard.CACHE_KEY)


def test_bar_chart_escapes_labels_and_clamps_values():
    svg = charts.bar_chart_svg(
        [('<script>alert("x")</script>', 150.0), ("Rien", None), ("Moitié", 50.0)],
        chart_id="c",
        title="Taux <b>",
        description="d & d",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert '<title id="c-title">Taux &lt;b&gt;</title>' in svg
    assert "d &amp; d" in svg
    widths = re.findall(r'<rect class="bar"[^>]*width="([\d.]+)"', svg)
    assert widths == ["400.0", "0.0", "200.0"]
    assert ">—</text>" in svg


def test_line_chart_scale():
    tops = [charts.axis_top(v) for v in (0, 1, 3, 4, 5, 11, 100, 180, 501, 4321)]
    assert tops == [4.0, 4.0, 4.0, 4.0, 8.0, 20.0, 100.0, 200.0, 800.0, 8000.0]
    svg = charts.line_chart_svg(
        [("a", 0), ("b", 50), ("c", 100)], chart_id="t", title="T", description="D"
    )
    # Plot 640 px wide from x=64, 216 px high from y=16: the top of the scale is 100.
    assert 'points="64.0,232.0 384.0,124.0 704.0,16.0"' in svg
    assert svg.count("<circle") == 3
    assert re.findall(r'text-anchor="end">([^<]*)</text>', svg) == [
        "0", "25", "50", "75", "100", "c"
    ]  # fmt: skip


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_in_a_browser(live_server, page, tmp_path):
    school = factories.SchoolFactory(name="École Sextius")
    school_class = factories.SchoolClassFactory(school=school, name="CE1 A")
    guardian(pupil(school, school_class, activated=True), account_kwargs={"activated": True})
    guardian(pupil(school, school_class, activated=False), account_kwargs={})
    factories.UserFactory(login="agent.ville", kind=User.Kind.CITY)
    page.goto(f"{live_server.url}/comptes/login/")
    page.locator("#id_username").fill("agent.ville")
    page.locator("#id_password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/ecoles/")
    page.goto(f"{live_server.url}{URL}")
    chart = page.locator("svg#chart-rates")
    assert chart.get_attribute("role") == "img"
    assert chart.is_visible()
    bar = page.locator("svg#chart-rates rect.bar")
    assert bar.count() == 1
    assert bar.bounding_box()["width"] > 0
    assert page.locator("svg#chart-trend polyline").is_visible()
    # The per-class table, chosen with the keyboard: select, Tab to the button, Enter.
    page.locator("#id_ecole").select_option(school.uai)
    page.locator("#id_ecole").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#class-rates")
    assert page.locator("#class-rates tbody tr").count() == 1
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)


def test_the_school_table_and_chart_show_a_page_of_schools(
    world, city_user, client, django_assert_num_queries
):
    """At académie scale the page carried 400 rows and 400 bars (309 KB): render a page of them,
    with the same number of queries; the figures of every school stay in the totals."""
    from schools.views_dashboard import SCHOOLS_PER_PAGE

    assert SCHOOLS_PER_PAGE == 25
    for n in range(26):  # 28 open schools with a and b
        factories.SchoolFactory(name=f"École Z{n:02d}")
    client.force_login(city_user)
    with django_assert_num_queries(16):
        first = client.get(URL)
    html = first.content.decode()
    names = re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>', html)
    assert names[:3] == ["École A", "École B", "École Z00"] and len(names) == 25
    [svg] = re.findall(r'<svg[^>]*id="chart-rates".*?</svg>', html, re.S)
    assert svg.count('<rect class="bar"') == 25
    assert 'href="?page=2#schools-heading" rel="next"' in html
    assert "Page 1 sur 2" in html
    # Every open school can still be chosen for its classes.
    [choices] = re.findall(r'<select id="id_ecole".*?</select>', html, re.S)
    assert choices.count('<option value="') == 1 + 28  # "Choose a school", then every school

    with django_assert_num_queries(16):
        second = client.get(URL, {"page": 2})
    html = second.content.decode()
    names = re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>', html)
    assert names == ["École Z23", "École Z24", "École Z25"]
    assert 'href="?page=1#schools-heading" rel="prev"' in html
    # A school's classes keep the page of the table: one link does both.
    assert f'href="?page=2&amp;ecole={world["a"].uai}#classes-heading"' not in html
    assert 'href="?page=2&amp;ecole=' in html
    with django_assert_num_queries(20):
        chosen = client.get(URL, {"page": 2, "ecole": world["a"].uai})
    assert chosen.context["selected"] == world["a"]
    assert client.get(URL, {"page": 9}).status_code == 404
