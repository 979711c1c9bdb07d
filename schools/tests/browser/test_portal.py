"""The staff portal in a real headless Chromium: a director prints letters, a teacher is refused."""

import pytest
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from accounts import services
from accounts.models import LetterBatch, User
from entaix.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def school(transactional_db):
    cache.clear()
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    ce1, cm2 = (factories.SchoolClassFactory(school=school, name=n) for n in ("CE1 A", "CM2 B"))
    for index, (first, last) in enumerate([("Léa", "N'Diaye"), ("Hugo", "Lefèvre")]):
        pupil = factories.PupilFactory(school=school, first_name=first, last_name=last)
        factories.enrol(pupil, ce1)
        factories.link(
            pupil, factories.GuardianFactory(last_name=last, first_name=f"Parent{index}")
        )
    other = factories.PupilFactory(school=school, first_name="Zoé", last_name="Roux")
    factories.enrol(other, cm2)
    director = factories.make_director(school, account__login="marie.durand")
    teacher = factories.make_teacher(ce1, account__login="paul.martin")
    services.account_sync()
    # Hugo's mother already activated her account.
    activated = User.objects.get(guardian__last_name="Lefèvre")
    activated.set_password(PASSWORD)
    activated.activated_at = timezone.now()
    activated.save()
    return {"ce1": ce1, "cm2": cm2, "director": director, "teacher": teacher}


def log_in(page, live_server, login):
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/ecoles/")


def test_director_opens_a_class_sees_states_and_downloads_the_letters(
    live_server, page, school, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, live_server, "marie.durand")
    page.get_by_role("link", name="École Sextius").click()
    page.get_by_role("link", name="CE1 A").click()
    assert page.locator("h1").inner_text().startswith("CE1 A")
    rows = page.locator("table.data tbody tr.guardian")
    assert rows.count() == 2
    states = sorted(rows.nth(i).locator("td").last.inner_text().strip() for i in range(2))
    assert states[0] == "activé"
    page.screenshot(path=tmp_path / "class.png", full_page=True)

    # The batch is built in the background (eagerly here), then its page offers the PDF.
    page.get_by_role("button", name="Préparer les lettres (PDF)").click()
    batch = LetterBatch.objects.get()
    page.wait_for_url(f"{live_server.url}/comptes/lettres/lots/{batch.pk}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger les lettres (PDF)").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.suffix == ".pdf"
    pdf = PdfReader(path)
    # The class's cover, then one letter per guardian with authority whose account is not
    # activated yet: Léa's parent.
    assert len(pdf.pages) == 2
    assert "CE1 A" in pdf.pages[0].extract_text()
    assert "N'Diaye" in pdf.pages[1].extract_text()
    batch.refresh_from_db()
    assert (batch.count, batch.requested_by.login) == (1, "marie.durand")
    page.go_back()

    # From the class to the person page: identity, guardians with their flags.
    page.get_by_role("link", name="Léa N'Diaye").click()
    assert page.locator("h1").inner_text().startswith("Léa N'Diaye")
    assert page.locator("table.data tbody tr").first.locator("td").nth(2).inner_text() == "oui (1)"


def test_teacher_cannot_open_another_class(live_server, page, school):
    log_in(page, live_server, "paul.martin")
    response = page.goto(f"{live_server.url}/comptes/classes/{school['cm2'].pk}/")
    assert response.status == 404
    assert "Roux" not in page.content()
    own = page.goto(f"{live_server.url}/comptes/classes/{school['ce1'].pk}/")
    assert own.status == 200
    assert "N'Diaye" in page.content()
