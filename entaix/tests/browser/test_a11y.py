"""Accessibility (RGAA) and phones: axe-core over every page of every role, at 1280 and 375 px.

One browser, one live server, one login per role (a session cookie, no login form): the sweep
visits every page `test_url_scope.GET_TABLE` says a role may open, runs axe-core (the npm package,
installed by `scripts/test.sh`) at desktop width, then at 375 px measures the page's width in the
browser and runs axe again. A serious or critical violation, or a page wider than the phone,
fails the test with the list of pages and rules.
"""

import functools
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from entaix.tests.views.test_url_scope import GET_TABLE, OK, ROLES, url_for
from entaix.tests.views.test_url_scope import world as world  # the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# Pages that are not HTML a person reads (CSV downloads), or that answer with a redirect.
# Not pages a person reads: a redirect, CSV files, the JSON a letter batch's page polls.
NOT_PAGES = {"set_language", "imports:run-problems-csv", "imports:school-problems-csv",
             "accounts:letter-batch-status", "imports:city-import-findings-csv",
             # JSON documents of the OpenID Connect provider, and its logout endpoint (which
             # logs out): its consent, error and logout pages are swept by the provider's
             # browser test (oidc/tests/test_rp_browser.py).
             "oauth2_provider:oidc-connect-discovery-info", "oauth2_provider:jwks-info",
             "oauth2_provider:rp-initiated-logout",
             # SCIM's JSON for other services (issue 18)
             "scim:service-provider-config", "scim:resource-types", "scim:resource-type",
             "scim:schemas", "scim:schema"}  # fmt: skip


SERIOUS = {"serious", "critical"}
EVERY_RULE = {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                        "best-practice"]}  # fmt: skip
# What a narrower screen can change: the rest reads the DOM, which is the same at both widths.
LAYOUT_RULES = {
    "type": "rule",
    "values": ["color-contrast", "target-size", "scrollable-region-focusable", "meta-viewport"],
}


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, run_only=EVERY_RULE) -> list[tuple[str, str]]:
    """(rule, impact) of every serious or critical axe-core violation on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP forbids any inline <script>.
        page.evaluate(_axe_source())
    result = page.evaluate(
        "(runOnly) => axe.run(document, {resultTypes: ['violations'], runOnly})", run_only
    )
    return sorted({(v["id"], v["impact"]) for v in result["violations"] if v["impact"] in SERIOUS})


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def login_context(browser, live_server, user):
    """A browser context already signed in as `user` (the session cookie of a test client)."""
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def pages_of(role: str, world) -> list[str]:
    urls = []
    for name, (arg_names, on_own, _on_other) in GET_TABLE.items():
        if name in NOT_PAGES or on_own[role] != OK:
            continue
        if role != "anon" and on_own["anon"] == OK:
            continue  # a public page is the same for everyone but the menu, seen on the others'
        if role == "it" and on_own["city"] == OK:
            continue  # city staff's pages, seen as the school service; only IT's own here

        urls.append(url_for(name, arg_names, world["own"]))
    return urls


def test_every_page_of_every_role_passes_axe_at_desktop_and_phone_width(
    live_server, browser, world
):
    cache.clear()
    problems = []
    visited = 0
    for role in ROLES:
        context = login_context(browser, live_server, world["users"][role])
        page = context.new_page()
        for url in pages_of(role, world):
            page.set_viewport_size(DESKTOP)
            response = page.goto(live_server.url + url)
            assert response.ok, (role, url, response.status)
            visited += 1
            for rule, impact in axe_violations(page):
                problems.append((role, url, 1280, rule, impact))
            page.set_viewport_size(PHONE)
            if (width := page_width(page)) > PHONE["width"]:
                problems.append((role, url, 375, "page-width", width))
            for rule, impact in axe_violations(page, LAYOUT_RULES):
                problems.append((role, url, 375, rule, impact))
        context.close()
    assert "\n".join(map(str, problems)) == ""
    # 102, plus the connected services (issue 18): OpenID Connect's client list for the school
    # service and the DPO and its registration and edit forms for an IT administrator (4), SCIM's
    # client list for the school service and the DPO (2) and its client page for an IT
    # administrator (1); plus the five pages of the people outside the feed (issue 21).
    assert visited == 114


def test_a_message_is_announced_and_passes_axe(live_server, browser, world):
    """`<ul role="status">` broke `listitem` and `aria-allowed-role` wherever a message showed."""
    context = login_context(browser, live_server, world["users"]["guardian"])
    page = context.new_page()
    page.goto(f"{live_server.url}/mon-compte/")
    page.locator("#id_email").fill("parent@example.fr")
    page.get_by_role("button", name="Enregistrer l'adresse").click()
    status = page.get_by_role("status")
    assert status.count() == 1
    assert status.locator("li").count() == 1
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    assert axe_violations(page) == []
    context.close()


def test_data_request_form_fits_a_phone_and_its_button_takes_the_tap(live_server, page):
    """The parents' own page was 520 px wide and a tap on the button landed on the textarea."""
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/donnees-personnelles/demande/")
    assert page_width(page) <= 375
    for label in (
        "Prénom de l'enfant",
        "Nom de l'enfant",
        "Date de naissance de l'enfant",
        "École de l'enfant",
        "Précisions sur votre demande",
    ):
        box = page.get_by_label(label, exact=True).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, label
    button = page.get_by_role("button", name="Envoyer ma demande")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).textContent.trim()",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == "Envoyer ma demande"


# Keyboard only: the three parent flows, with Tab, typing, Space and Enter; each focused element
# must show a visible focus ring.
FOCUS_STATE = """(selector) => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    return {
        match: e.matches(selector),
        visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
        what: e.tagName + '#' + e.id,
    };
}"""


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until `selector` has the focus; every element on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE, selector)
        assert state["visible"], f"no visible focus on {state['what']}"
        if state["match"]:
            return
    raise AssertionError(f"{selector} never got the focus")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


@pytest.fixture
def parent_letter(transactional_db):
    from accounts import services
    from accounts.codes import code_display
    from accounts.models import User
    from entaix.tests import factories

    cache.clear()
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    school_class = factories.SchoolClassFactory(school=school, name="CE1 A")
    pupil = factories.PupilFactory(school=school, first_name="Léa", last_name="Martin")
    factories.enrol(pupil, school_class)
    guardian = factories.GuardianFactory(first_name="Paul", last_name="Martin")
    factories.link(pupil, guardian, legal=1)
    services.account_sync()
    parent = User.objects.get(guardian=guardian)
    return parent, code_display(services.activation_code_regenerate(account=parent)), school


def test_keyboard_only_activation_then_forgotten_password(live_server, page, parent_letter):
    from django.core import mail

    from accounts.models import User

    parent, code, _school = parent_letter
    password, new_password = "Calanque-Sormiou-2026", "Olivier-Bleu-Puyricard-7"
    page.goto(f"{live_server.url}/activation/")
    type_into(page, "#id_login", parent.login)
    type_into(page, "#id_code", code)
    type_into(page, "#id_password1", password)
    type_into(page, "#id_password2", password)
    type_into(page, "#id_email", "paul@example.fr")
    tab_to(page, "#id_accept_terms")
    page.keyboard.press("Space")
    tab_to(page, "form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/mon-compte/")
    parent.refresh_from_db()
    assert parent.check_password(password) and parent.activated_at is not None

    # The confirmation link of the e-mail makes it usable for recovery.
    User.objects.filter(pk=parent.pk).update(email_confirmed_at=parent.activated_at)
    page.context.clear_cookies()
    mail.outbox.clear()
    page.goto(f"{live_server.url}/mot-de-passe-oublie/")
    type_into(page, "#id_identifier", parent.login)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/mot-de-passe-oublie/envoye/")
    assert [m.to for m in mail.outbox] == [["paul@example.fr"]]
    link = next(w for w in mail.outbox[0].body.split() if "/mot-de-passe-oublie/" in w)
    page.goto(live_server.url + link[link.index("/mot-de-passe-oublie/") :])
    type_into(page, "#id_new_password1", new_password)
    type_into(page, "#id_new_password2", new_password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/mon-compte/")
    parent.refresh_from_db()
    assert parent.check_password(new_password)


def test_forgotten_login_on_a_phone_by_keyboard_only(live_server, page, parent_letter):
    """From the login page to the e-mail listing the login, at 375 px, with Tab and Enter."""
    from django.core import mail
    from django.utils import timezone

    from accounts.models import User

    parent, _code, _school = parent_letter
    User.objects.filter(pk=parent.pk).update(
        email="Paul@Example.fr", email_confirmed_at=timezone.now()
    )
    mail.outbox.clear()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/comptes/login/")
    tab_to(page, 'a[href="/identifiant-oublie/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/identifiant-oublie/")
    assert page_width(page) <= 375
    assert axe_violations(page) == []
    type_into(page, "#id_email", "paul@example.fr")
    tab_to(page, "form button.primary")
    box = page.locator("form button.primary").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/identifiant-oublie/envoye/")
    assert page_width(page) <= 375
    assert page.get_by_role("heading", level=1).inner_text() == "Demande reçue"
    assert [m.to for m in mail.outbox] == [["Paul@Example.fr"]]
    assert f"- {parent.login}, pour Léa" in mail.outbox[0].body.splitlines()


def test_keyboard_only_data_request(live_server, page, parent_letter, settings, tmp_path):
    from privacy.models import DataRequest

    settings.MEDIA_ROOT = tmp_path / "media"
    _parent, _code, school = parent_letter
    page.goto(f"{live_server.url}/donnees-personnelles/demande/")
    type_into(page, "#id_requester_name", "Paul Martin")
    type_into(page, "#id_requester_email", "paul@example.fr")
    tab_to(page, "#id_relation")  # its first choice: parent
    type_into(page, "#id_child_first_name", "Léa")
    type_into(page, "#id_child_last_name", "Martin")
    type_into(page, "#id_child_birth_date", "03032018")  # same read dd/mm or mm/dd
    tab_to(page, "#id_school")
    page.keyboard.press("ArrowDown")  # the first school of the list
    tab_to(page, 'input[name="kind"]')
    page.keyboard.press("Space")
    type_into(page, "#id_message", "Une copie des données de Léa.")
    tab_to(page, "form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/donnees-personnelles/demande/envoyee/")
    request = DataRequest.objects.get()
    assert (request.requester_name, request.relation, request.kind) == (
        "Paul Martin",
        "parent",
        "access",
    )
    assert (request.school_id, str(request.child_birth_date)) == (school.pk, "2018-03-03")


def test_it_admin_connects_a_service_by_keyboard_on_a_phone(live_server, browser, world):
    """The connected services (issue 18), as the IT administrator who manages them: the list
    and its form, the token shown once, the service's page; 375 px, Tab/Space/Enter only."""
    from accounts.models import User
    from entaix.tests import factories
    from scim.models import ScimClient

    admin = factories.UserFactory(
        login="dsi.ville", kind=User.Kind.CITY, city_role=User.CityRole.IT_ADMIN
    )
    context = login_context(browser, live_server, admin)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/scim/clients/")
    assert page_width(page) <= 375
    assert axe_violations(page) == []
    type_into(page, "#id_name", "Cantine")
    tab_to(page, "#id_schools_0")
    page.keyboard.press("Space")
    tab_to(page, "form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_selector("#scim-token")
    assert page_width(page) <= 375
    assert axe_violations(page) == []
    client = ScimClient.objects.get(name="Cantine")
    token = page.locator("#scim-token").input_value()
    assert len(token) >= 43 and client.token_digest != token
    page.goto(f"{live_server.url}/scim/clients/{client.pk}/")
    assert page_width(page) <= 375
    assert axe_violations(page) == []
    page.set_viewport_size(DESKTOP)
    assert axe_violations(page) == []
    context.close()


def test_keyboard_only_changeover_review_at_phone_width(live_server, browser, world):
    """The changeover review (issue 21): figures readable at 375 px, each school's box ticked
    and unticked with Space, the approval sent with Enter."""
    from imports.models import ImportRun

    context = login_context(browser, live_server, world["users"]["city"])
    page = context.new_page()
    page.set_viewport_size(PHONE)
    run_id = world["own"]["run"]
    page.goto(f"{live_server.url}/imports/{run_id}/")
    assert page.get_by_role("heading", name="Rentrée scolaire : école par école").count() == 1
    assert page_width(page) <= PHONE["width"]
    assert axe_violations(page) == []
    box = 'input[name="schools"]'
    tab_to(page, box)
    page.keyboard.press("Space")
    assert page.locator(box).first.is_checked() is False
    page.keyboard.press("Space")
    assert page.locator(box).first.is_checked() is True
    tab_to(page, 'button[value="schools"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/imports/{run_id}/"
    assert ImportRun.objects.get(pk=run_id).decided_by == world["users"]["city"]
    context.close()
