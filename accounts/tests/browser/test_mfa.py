"""City staff enrol a second factor, then log in with a code and are refused without it, in a
real headless Chromium; no page breaks the Content-Security-Policy on the way."""

import time
from base64 import b32decode

import pytest
from django.core.cache import cache
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from entaix.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def code_for(secret: str, steps: int = 0) -> str:
    totp = TOTP(b32decode(secret))
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def log_in(page, url, code=""):
    page.goto(f"{url}/comptes/login/")
    page.locator("#id_username").fill("Agent.Ville")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_otp_token").fill(code)
    page.locator("form button.primary").click()


def test_city_staff_enrol_then_need_the_code(live_server, page, settings, transactional_db):
    cache.clear()
    settings.MFA_REQUIRED = True
    factories.UserFactory(login="agent.ville", kind=User.Kind.CITY)
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # Password only: the portal sends city staff to the enrolment page first.
    log_in(page, live_server.url)
    page.wait_for_url(f"{live_server.url}/comptes/securite/")
    page.locator("form button.primary").click()
    secret = page.locator("#mfa-secret").inner_text().strip()
    assert page.locator("#mfa-uri").inner_text().startswith("otpauth://totp/")
    page.locator("#id_token").fill(code_for(secret))
    page.locator("form button.primary").click()
    assert page.locator("#recovery-codes li").count() == 10
    assert TOTPDevice.objects.get(user__login="agent.ville").confirmed

    page.locator("form.logout button").click()
    page.wait_for_url(f"{live_server.url}/comptes/login/", wait_until="domcontentloaded")

    # Without the code: refused, with the one generic message.
    log_in(page, live_server.url)
    assert page.get_by_role("alert").inner_text() == "Identifiant ou mot de passe incorrect."
    assert page.url == f"{live_server.url}/comptes/login/"
    # With the code of the app: in.
    log_in(page, live_server.url, code_for(secret, steps=1))
    page.wait_for_url(f"{live_server.url}/ecoles/", wait_until="domcontentloaded")
    assert page.locator("form.logout .who").inner_text() == "agent.ville"
    assert violations == []
