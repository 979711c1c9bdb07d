"""The portal in a real headless Chromium."""

import pytest
from django.core.cache import cache

from entaix.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def director(transactional_db):
    cache.clear()
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    factories.SchoolClassFactory(school=school, name="CE1 A")
    factories.SchoolFactory(name="École Puyricard", uai="0130004D")
    return factories.make_director(school, account__login="marie.durand")


def test_login_page_is_french_and_keyboard_usable(live_server, page, director, tmp_path):
    page.goto(f"{live_server.url}/comptes/login/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.title() == "Se connecter · Ville d'Aix-en-Provence"
    # The login field has the focus and a visible label.
    assert page.evaluate("document.activeElement.id") == "id_username"
    assert page.get_by_label("Identifiant").is_visible()
    page.screenshot(path=tmp_path / "login.png")


def test_wrong_password_then_login_by_keyboard(live_server, page, director):
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill("marie.durand")
    page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    assert (
        page.get_by_role("alert").inner_text().strip() == "Identifiant ou mot de passe incorrect."
    )

    page.get_by_label("Identifiant").fill("Marie.Durand")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/ecoles/")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text() == "École Sextius"
    assert "Puyricard" not in page.content()
    assert page.get_by_role("navigation", name="Menu principal").is_visible()
