"""The CSV wizard's services: a file with a dozen faults gives exactly its row errors and
applies nothing; a clean file applies exactly; warnings need approval; one transaction."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, connection
from django.utils import timezone

from accounts.models import User
from entaix.common.exceptions import ApplicationError
from imports.city import services
from imports.city.checks import finding_message
from imports.models import CityPersonImport
from imports.tests.city.conftest import city_people
from imports.tests.feeds import snapshot
from schools.models import Staff

pytestmark = pytest.mark.django_db

HEADER = "nom;prenom;role;uai;date_debut;date_fin;email;date_naissance"
FAULTY = [
    "Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2030;sophie.martin@aix.fr;",  # 2: OK
    ";Paul;cantine;0130001A;01/09/2026;03/07/2030;;",  # 3: no last name
    "Bernard;Luc;jardinier;0130001A;01/09/2026;03/07/2030;;",  # 4: unknown role
    "Petit;Emma;périscolaire;0139999Z;01/09/2026;03/07/2030;;",  # 5: unknown school
    "Robert;Julie;Cantine;0130001A;31/02/2027;03/07/2030;;",  # 6: no 31 February
    "Richard;Marc;intervenant;0130002B;01/09/2030;01/01/2030;;",  # 7: end before start
    "DURAND;helene;bibliothécaire;0130001A;01/09/2026;03/07/2030;;",  # 8: the feed's Hélène
    "martin;Sophie;atsem;0130001A;01/09/2026;03/07/2030;;",  # 9: line 2 again
    "Moreau;Léa;ATSEM;0130002B;01/09/2026;03/07/2030;pas-une-adresse;",  # 10: bad e-mail
    "Simon;Hugo;ATSEM;0130001A;01/09/2026;03/07/2030",  # 11: two cells short
    "Laurent;Anne;atsem;0130001A;2026-09-01;2030-07-03;;12/13/1980",  # 12: bad birth date
    "Lefebvre;Marie;cantine;0130001A;01/09/2019;30/06/2020;;",  # 13: already over
    "Michel;Nina;ATSEM;0130003C;01/09/2026;03/07/2030;;",  # 14: school not open: warning
    "Garcia;Tom;ATSEM;0130004D;01/09/2026;03/07/2030;;",  # 15: school gone
    "Fontaine;Zoé;;0130001A;01/09/2026;03/07/2030;;",  # 16: no role
    "Girard;Paul;intervenant;0130001A|0130002B;01/09/2026;03/07/2030;;",  # 17: OK, two schools
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig", newline="\r\n") -> bytes:
    return newline.join([header, *rows, ""]).encode(encoding)


def found(run):
    return [(f["line"], f["level"], f["column"], f["code"], f["params"]) for f in run.findings]


def state():
    return (snapshot(), list(User.objects.order_by("pk").values_list("pk", "login", "is_active")))


def test_a_dozen_faults_give_exactly_their_row_errors_and_nothing_is_applied(
    city_schools, school_service
):
    before = state()
    run = services.city_person_import_check(
        data=csv_bytes(FAULTY), filename="agents.csv", actor=school_service
    )
    assert found(run) == [
        (3, "error", "nom", "required", {}),
        (4, "error", "role", "unknown-role",
         {"roles": "ATSEM, périscolaire, cantine, bibliothécaire, intervenant"}),
        (5, "error", "uai", "unknown-school", {"uai": "0139999Z"}),
        (6, "error", "date_debut", "bad-date", {}),
        (7, "error", "date_fin", "end-before-start", {}),
        (8, "error", "nom", "feed-duplicate", {"uai": "0130001A"}),
        (9, "error", "nom", "duplicate-row", {"line": 2}),
        (10, "error", "email", "bad-email", {}),
        (11, "error", "", "cell-count", {"found": 6, "expected": 8}),
        (12, "error", "date_naissance", "bad-date", {}),
        (13, "error", "date_fin", "end-passed", {}),
        (14, "warning", "uai", "school-not-open", {"uai": "0130003C"}),
        (15, "error", "uai", "school-gone", {"uai": "0130004D"}),
        (16, "error", "role", "required", {}),
    ]  # fmt: skip
    assert (run.status, run.row_count, run.error_count, run.warning_count) == ("checked", 16, 13, 1)
    assert (run.encoding, run.delimiter) == ("utf-8-sig", ";")
    # Messages are translated when shown; they hold a UAI or a line, never a cell's value.
    assert finding_message(run.findings[6]) == "Même personne qu'à la ligne 2 de ce fichier."
    assert "Sophie" not in str(run.findings) and "helene" not in str(run.findings)
    entries = LogEntry.objects.count()
    for approve in (False, True):
        with pytest.raises(ApplicationError) as refused:
            services.city_person_import_apply(
                import_id=run.pk, actor=school_service, approve_warnings=approve
            )
        assert refused.value.code == "errors"
    run.refresh_from_db()
    assert (run.status, len(run.rows)) == ("checked", 16)
    assert state() == before
    assert LogEntry.objects.count() == entries


def test_a_clean_file_applies_exactly_with_accounts(city_schools, school_service):
    rows = [
        "Martin,Sophie,ATSEM,0130001A,01/09/2026,03/07/2030,sophie.martin@aix.fr",
        "Girard,Paul,intervenant,0130001A|0130002B,2026-09-01,2027-07-02,",
        "Œuvray,Chloé,bibliothécaire,0130002B,01/09/2026,31/08/2027,",
    ]
    data = csv_bytes(rows, header="Nom,Prénom,Rôle,UAI,Date début,Date fin,Courriel",
                     encoding="cp1252")  # fmt: skip
    run = services.city_person_import_check(data=data, filename="v.csv", actor=school_service)
    assert (run.encoding, run.delimiter, run.findings) == ("cp1252", ",", [])
    feed_before = list(Staff.objects.filter(source="aaf").values_list())
    run = services.city_person_import_apply(import_id=run.pk, actor=school_service)
    assert run.status == "applied" and run.rows == [] and run.decided_by == school_service
    assert city_people() == [
        ("Girard", "Paul", "intervenant", ["0130001A", "0130002B"], "2026-09-01", "2027-07-02", ""),
        ("Martin", "Sophie", "atsem", ["0130001A"], "2026-09-01", "2030-07-03",
         "sophie.martin@aix.fr"),
        ("Œuvray", "Chloé", "bibliothecaire", ["0130002B"], "2026-09-01", "2027-08-31", ""),
    ]  # fmt: skip
    people = Staff.objects.filter(source="city").order_by("pk")
    assert [p.join_key.startswith("ville:") for p in people] == [True, True, True]
    assert [(p.account.login, p.account.kind, p.account.is_active) for p in people] == [
        ("sophie.martin", "staff", True),
        ("paul.girard", "staff", True),
        ("chloe.oeuvray", "staff", True),
    ]
    assert [(r["line"], r["action"]) for r in run.report["rows"]] == [
        (2, "created"), (3, "created"), (4, "created")
    ]  # fmt: skip
    assert run.report["accounts"] == {"created": 3, "deactivated": 0, "reactivated": 0}
    assert list(Staff.objects.filter(source="aaf").values_list()) == feed_before
    events = LogEntry.objects.filter(additional_data__event="city-person-created")
    assert sorted(e.object_id for e in events) == [p.pk for p in people]
    assert all(e.additional_data == {"event": "city-person-created", "import": run.pk}
               for e in events)  # fmt: skip
    # Applied once only.
    with pytest.raises(ApplicationError):
        services.city_person_import_apply(import_id=run.pk, actor=school_service)


def test_a_row_matching_a_city_person_updates_them_once_its_warning_is_approved(
    city_schools, school_service
):
    first = services.city_person_import_check(
        data=csv_bytes(["Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2027;;"]),
        filename="a.csv", actor=school_service,
    )  # fmt: skip
    services.city_person_import_apply(import_id=first.pk, actor=school_service)
    sophie = Staff.objects.get(source="city")
    again = services.city_person_import_check(
        data=csv_bytes(["MARTIN;Sophie;cantine;0130001A|0130002B;01/09/2026;03/07/2028;s@aix.fr;"]),
        filename="b.csv", actor=school_service,
    )  # fmt: skip
    assert found(again) == [(2, "warning", "nom", "updates-existing", {"uai": "0130001A"})]
    before = state()
    with pytest.raises(ApplicationError) as refused:
        services.city_person_import_apply(import_id=again.pk, actor=school_service)
    assert refused.value.code == "warnings"
    assert state() == before
    again = services.city_person_import_apply(
        import_id=again.pk, actor=school_service, approve_warnings=True
    )
    assert (again.status, again.warnings_approved) == ("applied", True)
    assert city_people() == [
        ("MARTIN", "Sophie", "cantine", ["0130001A", "0130002B"], "2026-09-01", "2028-07-03",
         "s@aix.fr"),
    ]  # fmt: skip
    assert Staff.objects.get(source="city").pk == sophie.pk
    assert [r["action"] for r in again.report["rows"]] == ["updated"]


def test_the_apply_checks_again_and_applies_nothing_when_the_directory_changed(
    city_schools, school_service
):
    run = services.city_person_import_check(
        data=csv_bytes(["Roux;Chloé;ATSEM;0130002B;01/09/2026;03/07/2030;;"]),
        filename="a.csv", actor=school_service,
    )  # fmt: skip
    assert run.findings == []
    # Meanwhile the feed brings a Chloé ROUX to school B.
    from entaix.tests import factories

    chloe = factories.StaffFactory(last_name="ROUX", first_name="Chloé")
    chloe.assignments.create(school=city_schools["B"])
    before = state()
    run = services.city_person_import_apply(import_id=run.pk, actor=school_service)
    assert run.status == "checked"
    assert found(run) == [(2, "error", "nom", "feed-duplicate", {"uai": "0130002B"})]
    assert run.error_count == 1
    assert state() == before


def test_the_apply_is_one_transaction(city_schools, school_service, monkeypatch):
    rows = ["Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2030;;",
            "Girard;Paul;ATSEM;0130001A;01/09/2026;03/07/2030;;"]  # fmt: skip
    run = services.city_person_import_check(
        data=csv_bytes(rows), filename="a.csv", actor=school_service
    )
    before = state()

    real_sync = services.account_sync

    def sync_then_fail(**kwargs):
        # Both persons and their accounts are written; then PostgreSQL refuses a statement
        # (a real constraint violation): the whole apply must roll back.
        real_sync(**kwargs)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE schools_staff SET end_date = start_date - 1 WHERE source = 'city'"
            )

    monkeypatch.setattr(services, "account_sync", sync_then_fail)
    with pytest.raises(IntegrityError):
        services.city_person_import_apply(import_id=run.pk, actor=school_service)
    assert state() == before
    run.refresh_from_db()
    assert (run.status, len(run.rows)) == ("checked", 2)


def test_discard_and_expiry_drop_the_rows(city_schools, school_service):
    data = csv_bytes(["Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2030;;"])
    run = services.city_person_import_check(data=data, filename="a.csv", actor=school_service)
    before = state()
    run = services.city_person_import_discard(import_id=run.pk, actor=school_service)
    assert (run.status, run.rows, state()) == ("discarded", [], before)
    with pytest.raises(ApplicationError):
        services.city_person_import_apply(import_id=run.pk, actor=school_service)
    old = services.city_person_import_check(data=data, filename="b.csv", actor=school_service)
    fresh = services.city_person_import_check(data=data, filename="c.csv", actor=school_service)
    CityPersonImport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert services.city_person_imports_expire() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.rows, fresh.status, len(fresh.rows)) == (
        "discarded", [], "checked", 1
    )  # fmt: skip


def test_a_file_error_stops_the_file_and_applies_nothing(city_schools, school_service):
    before = state()
    run = services.city_person_import_check(
        data="nom;prénom;rôle\nMartin;Sophie;ATSEM\n".encode("utf-16"), filename="u16.csv",
        actor=school_service,
    )  # fmt: skip
    assert found(run) == [(0, "error", "", "encoding", {})]
    assert (run.row_count, run.rows) == (0, [])
    with pytest.raises(ApplicationError):
        services.city_person_import_apply(import_id=run.pk, actor=school_service)
    assert state() == before
