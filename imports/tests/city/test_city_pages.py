"""The pages: the form refuses what the CSV refuses, the wizard's steps, the findings CSV
(formulas neutralised), the list without N+1, and nobody but the school service."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from entaix.tests import factories
from imports.models import CityPersonImport
from imports.tests.city.conftest import city_people
from imports.tests.feeds import snapshot
from schools.models import Staff

pytestmark = pytest.mark.django_db


def form_data(city, **changes):
    data = {"last_name": "Martin", "first_name": "Sophie", "civility": "Mme", "role": "atsem",
            "schools": [city["A"].pk, city["B"].pk], "start_date": "2026-09-01",
            "end_date": "2030-07-03", "email": "sophie@aix.fr"}  # fmt: skip
    return {**data, **changes}


def test_the_form_creates_a_person_with_an_account(client, city_schools, school_service):
    client.force_login(school_service)
    response = client.post(reverse("imports:city-person-create"), form_data(city_schools))
    assert response.status_code == 302
    assert city_people() == [
        ("Martin", "Sophie", "atsem", ["0130001A", "0130002B"], "2026-09-01", "2030-07-03",
         "sophie@aix.fr"),
    ]  # fmt: skip
    page = client.get(reverse("imports:city-person-list"))
    assert "Personne ajoutée ; son identifiant : sophie.martin." in page.content.decode()


def test_the_form_refuses_what_a_csv_row_would(client, city_schools, school_service):
    client.force_login(school_service)
    before = snapshot()
    cases = {
        "feed namesake": (form_data(city_schools, last_name="Durand", first_name="HÉLÈNE"),
                          "last_name", "porte ce nom à 0130001A"),
        "end before start": (form_data(city_schools, end_date="2026-08-01"),
                             "end_date", "La date de fin précède la date de début."),
        "ended": (form_data(city_schools, start_date="2019-09-01", end_date="2020-07-03"),
                  "end_date", "La date de fin est déjà passée."),
    }  # fmt: skip
    for name, (data, field, message) in cases.items():
        response = client.post(reverse("imports:city-person-create"), data)
        assert response.status_code == 200, name
        assert message in " ".join(response.context["form"].errors[field]), name
    assert snapshot() == before


def test_a_city_person_is_edited_a_feed_person_never(client, city_schools, school_service):
    client.force_login(school_service)
    client.post(reverse("imports:city-person-create"), form_data(city_schools))
    sophie = Staff.objects.get(source="city")
    response = client.post(
        reverse("imports:city-person-edit", args=[sophie.pk]),
        form_data(city_schools, role="cantine", schools=[city_schools["B"].pk],
                  end_date="2027-07-02"),
    )  # fmt: skip
    assert response.status_code == 302
    assert city_people() == [
        ("Martin", "Sophie", "cantine", ["0130002B"], "2026-09-01", "2027-07-02", "sophie@aix.fr")
    ]
    feed = city_schools["feed_staff"]
    before = snapshot()
    url = reverse("imports:city-person-edit", args=[feed.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(city_schools)).status_code == 404
    assert snapshot() == before


def test_the_wizard_upload_preview_apply_report(client, city_schools, school_service):
    client.force_login(school_service)
    data = (b"nom;prenom;role;uai;date_debut;date_fin\n"
            b"Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2030\n"
            b"Michel;Nina;ATSEM;0130003C;01/09/2026;03/07/2030\n")  # fmt: skip
    response = client.post(
        reverse("imports:city-import-upload"),
        {"file": SimpleUploadedFile("agents.csv", data, content_type="text/csv")},
    )
    run = CityPersonImport.objects.get()
    assert response["Location"] == reverse("imports:city-import", args=[run.pk])
    page = client.get(response["Location"])
    assert [(r["line"], r["name"], r["level"]) for r in page.context["rows"]] == [
        (2, "Sophie Martin", "ok"), (3, "Nina Michel", "warning")
    ]  # fmt: skip
    html = unescape(page.content.decode())
    assert "L'ENT n'est pas encore ouvert à 0130003C" in html
    assert "J'ai lu les avertissements et je les approuve." in html
    apply = reverse("imports:city-import-apply", args=[run.pk])
    client.post(apply)  # warnings not approved: nothing applied
    assert Staff.objects.filter(source="city").count() == 0
    client.post(apply, {"approve_warnings": "on"})
    page = client.get(reverse("imports:city-import", args=[run.pk]))
    assert [(row["line"], row["action"], person.account.login if person.account else None)
            for row, person in page.context["report"]] == [
        (2, "created", "sophie.martin"), (3, "created", None),  # C is not open: no account yet
    ]  # fmt: skip


def test_the_findings_csv_neutralises_formulas(client, city_schools, school_service):
    client.force_login(school_service)
    data = b"nom;prenom;role;=cmd|' /C calc'!A0\nA;B;ATSEM;x\n"
    client.post(
        reverse("imports:city-import-upload"),
        {"file": SimpleUploadedFile("x.csv", data, content_type="text/csv")},
    )
    run = CityPersonImport.objects.get()
    response = client.get(reverse("imports:city-import-findings-csv", args=[run.pk]))
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Ligne;Niveau;Colonne;Code;Message"
    assert any(line.startswith(";erreur;uai;missing-column;") for line in lines)
    # The header's name, as normalised, starts with "=": a quote makes it text.
    assert lines[-1].startswith(";avertissement;'=cmd|_/c_calc_!a0;ignored-column;")


def test_the_list_reads_a_fixed_number_of_queries(
    client, city_schools, school_service, django_assert_num_queries
):
    for n in range(5):
        staff = Staff.objects.create(
            source="city", join_key=f"ville:{n}", last_name=f"Nom{n}", first_name="P",
            role="atsem", start_date="2026-09-01", end_date="2030-07-03",
            first_seen_at=city_schools["A"].first_seen_at,
            last_seen_at=city_schools["A"].first_seen_at,
            account=factories.UserFactory(),
        )  # fmt: skip
        staff.assignments.create(school=city_schools["A"])
        staff.assignments.create(school=city_schools["B"])
    client.force_login(school_service)
    client.get(reverse("imports:city-person-list"))  # warm the session and the menu
    with django_assert_num_queries(6):
        page = client.get(reverse("imports:city-person-list"))
    assert len(page.context["people"]) == 5


@pytest.mark.parametrize("role", ["dpo", "it-admin"])
def test_other_city_roles_are_refused(client, city_schools, role):
    user = factories.UserFactory(kind=User.Kind.CITY, city_role=role)
    client.force_login(user)
    for name in ("imports:city-person-list", "imports:city-import-upload"):
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", ["director", "teacher"])
def test_directors_and_teachers_reach_no_person_and_no_import(
    client, city_schools, school_service, role
):
    client.force_login(school_service)
    client.post(reverse("imports:city-person-create"), form_data(city_schools))
    data = (b"nom;prenom;role;uai;date_debut;date_fin\n"
            b"Michel;Nina;ATSEM;0130001A;01/09/2026;03/07/2030\n")  # fmt: skip
    client.post(
        reverse("imports:city-import-upload"),
        {"file": SimpleUploadedFile("agents.csv", data, content_type="text/csv")},
    )
    sophie, run = Staff.objects.get(source=Staff.Source.CITY), CityPersonImport.objects.get()
    if role == "director":
        user = factories.make_director(city_schools["A"]).account
    else:
        school_class = factories.SchoolClassFactory(school=city_schools["A"])
        user = factories.make_teacher(school_class).account
    before = (snapshot(), city_people(), list(CityPersonImport.objects.values_list("status")))
    client.force_login(user)
    for name in ("imports:city-person-list", "imports:city-import-upload"):
        assert client.get(reverse(name)).status_code == 403, name
    for name in ("imports:city-import", "imports:city-import-findings-csv"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 403, name
    for name in ("imports:city-import-apply", "imports:city-import-discard"):
        assert client.post(reverse(name, args=[run.pk])).status_code == 403, name
    edit = reverse("imports:city-person-edit", args=[sophie.pk])
    assert client.post(edit, form_data(city_schools, last_name="Autre")).status_code == 403
    after = (snapshot(), city_people(), list(CityPersonImport.objects.values_list("status")))
    assert after == before


def test_the_list_shows_the_present_or_those_who_left(client, city_schools, school_service):
    from django.utils import timezone

    for name, left_at in (("Présente", None), ("Partie", timezone.now())):
        Staff.objects.create(
            source="city", join_key=f"ville:{name}", last_name=name, first_name="P",
            role="atsem", start_date="2026-09-01", end_date="2030-07-03",
            first_seen_at=timezone.now(), last_seen_at=timezone.now(), left_at=left_at,
        )  # fmt: skip
    client.force_login(school_service)
    url = reverse("imports:city-person-list")
    names = [p.last_name for p in client.get(url).context["people"]]
    assert names == ["Présente"]  # the feed's Hélène DURAND is not listed either
    assert [p.last_name for p in client.get(url, {"partis": "1"}).context["people"]] == ["Partie"]
