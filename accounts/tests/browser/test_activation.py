"""A parent activates their account from the letter, in a real headless Chromium."""

import pytest
from django.core.cache import cache

from accounts import services
from accounts.codes import code_display
from accounts.models import ActivationCode, User
from entaix.tests import factories
from entaix.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def letter(transactional_db):
    cache.clear()
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    school_class = factories.SchoolClassFactory(school=school, name="CE1 A")
    pupil = factories.PupilFactory(school=school, first_name="Léa", last_name="N'Diaye")
    factories.enrol(pupil, school_class)
    guardian = factories.GuardianFactory(first_name="Aïssatou", last_name="N'Diaye")
    factories.link(pupil, guardian, legal=1)
    services.account_sync()
    parent = User.objects.get(guardian=guardian)
    return parent, code_display(services.activation_code_regenerate(account=parent))


def test_parent_activates_their_account(live_server, page, letter, tmp_path):
    parent, code = letter
    assert parent.login == "aissatou.ndiaye"
    page.goto(f"{live_server.url}/activation/")
    assert page.locator("html").get_attribute("lang") == "fr"

    # First a typo in the confirmation: every error comes back at once, nothing is activated.
    page.locator("#id_login").fill("Aissatou.NDiaye")
    page.locator("#id_code").fill(code.lower())
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD + "x")
    page.locator("form button.primary").click()
    summary = page.get_by_role("alert")
    assert summary.locator("li").count() == 2  # the confirmation and the terms of use
    assert not User.objects.get(pk=parent.pk).has_usable_password()
    page.screenshot(path=tmp_path / "activation-errors.png", full_page=True)

    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_email").fill("aissatou@example.fr")
    page.locator("#id_accept_terms").check()
    page.locator("form button.primary").click()
    page.wait_for_url(f"{live_server.url}/mon-compte/")
    assert page.locator("#account-login").inner_text() == "aissatou.ndiaye"
    assert "Léa N'Diaye" in page.content().replace("&#x27;", "'")

    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
    assert parent.email == "aissatou@example.fr" and parent.email_confirmed_at is None
    assert not ActivationCode.objects.filter(account=parent).exists()
