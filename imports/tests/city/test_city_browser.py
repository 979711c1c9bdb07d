"""The CSV wizard in Chromium at 375 px: upload, preview, discard, upload again, approve the
warning, apply, report; every step fits the phone and passes axe-core."""

import pytest
from django.core.cache import cache

from entaix.tests.browser.test_a11y import PHONE, axe_violations, login_context, page_width
from imports.tests.city.conftest import city_people
from schools.models import Staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAULTY = (b"nom;prenom;role;uai;date_debut;date_fin\n"
          b"Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2030\n"
          b"Bernard;Luc;jardinier;0139999Z;01/09/2026;03/07/2030\n")  # fmt: skip
CLEAN = ("nom;prenom;role;uai;date_debut;date_fin\n"
         "Martin;Sophie;ATSEM;0130001A;01/09/2026;03/07/2030\n"
         "Michel;Nina;cantine;0130003C;01/09/2026;03/07/2030\n").encode("cp1252")  # fmt: skip


def fits_and_passes(page) -> None:
    assert page_width(page) <= PHONE["width"]
    assert axe_violations(page) == []


def upload(page, name: str, data: bytes) -> None:
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_url("**/imports/personnes/import/*/")


def test_the_wizard_on_a_phone(live_server, browser, city_schools, school_service):
    cache.clear()
    context = login_context(browser, live_server, school_service)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/imports/personnes/")
    fits_and_passes(page)
    page.get_by_role("link", name="Importer un fichier CSV").click()
    fits_and_passes(page)

    upload(page, "fautes.csv", FAULTY)
    fits_and_passes(page)
    rows = page.locator("#preview tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(2).inner_text() == "Correcte"
    assert rows.nth(1).locator("td").nth(2).inner_text() == "Erreur"
    assert "Rôle inconnu" in rows.nth(1).inner_text()
    assert page.get_by_role("button", name="Appliquer 2 lignes").count() == 0  # errors: no apply
    page.get_by_role("button", name="Abandonner ce fichier").click()
    page.wait_for_url("**/imports/personnes/import/")
    assert Staff.objects.filter(source="city").count() == 0

    upload(page, "agents.csv", CLEAN)
    fits_and_passes(page)
    assert page.locator("#warning-count").inner_text() == "1"
    page.get_by_role("button", name="Appliquer 2 lignes").click()
    assert "cochez la case" in page.get_by_role("status").inner_text()
    assert Staff.objects.filter(source="city").count() == 0
    page.get_by_label("J'ai lu les avertissements et je les approuve.").check()
    page.get_by_role("button", name="Appliquer 2 lignes").click()
    page.wait_for_selector("#report")
    fits_and_passes(page)
    assert page.locator("#report tbody tr").all_inner_texts() == [
        "2\tSophie Martin\tcréé\tsophie.martin",
        "3\tNina Michel\tcréé\t—",
    ]
    assert [p[:3] for p in city_people()] == [
        ("Martin", "Sophie", "atsem"),
        ("Michel", "Nina", "cantine"),
    ]
    context.close()
