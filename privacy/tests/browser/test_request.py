"""A parent files an access request on the public form, in a real headless Chromium."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from entaix.tests import factories
from privacy.models import DataRequest
from privacy.tests.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def school(transactional_db):
    cache.clear()
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    factories.SchoolFactory(name="École Puyricard", uai="0130004D")
    return school


def test_parent_files_a_request(live_server, page, school, tmp_path, private_dirs):
    document = tmp_path / "livret-de-famille.pdf"
    document.write_bytes(PDF)
    page.goto(f"{live_server.url}/donnees-personnelles/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator('a[href="https://www.cnil.fr"]').count() == 1
    page.locator('a[href="/donnees-personnelles/demande/"]').click()
    page.wait_for_url(f"{live_server.url}/donnees-personnelles/demande/")

    page.locator("#id_requester_name").fill("Aïssatou N'Diaye")
    page.locator("#id_requester_email").fill("aissatou@example.fr")
    page.locator("#id_relation").select_option("parent")
    page.locator('input[name="kind"][value="access"]').check()
    page.locator("#id_child_first_name").fill("Léa")
    page.locator("#id_child_last_name").fill("N'Diaye")
    page.locator("#id_attachment").set_input_files(str(document))
    # First without the birth date: every error is listed, nothing is filed.
    page.locator("form button.primary").click()
    summary = page.get_by_role("alert")
    assert summary.locator("li").count() == 1
    assert summary.locator('a[href="#id_child_birth_date"]').count() == 1
    assert DataRequest.objects.count() == 0
    page.screenshot(path=tmp_path / "request-errors.png", full_page=True)

    page.locator("#id_child_birth_date").fill("2018-03-04")
    page.locator("#id_school").select_option(str(school.pk))
    page.locator("#id_attachment").set_input_files(str(document))
    page.locator("form button.primary").click()
    page.wait_for_url(f"{live_server.url}/donnees-personnelles/demande/envoyee/")
    reference = page.locator("#request-reference").inner_text()
    assert re.fullmatch(r"RGPD-\d{4}-[A-Z2-9]{6}", reference)
    page.screenshot(path=tmp_path / "request-done.png", full_page=True)

    request = DataRequest.objects.get()
    assert request.reference == reference
    assert (request.kind, request.relation, request.school_id) == ("access", "parent", school.pk)
    assert request.attachment_type == "application/pdf"
    assert [m.to for m in mail.outbox] == [["aissatou@example.fr"], ["dpo@mairie-aixenprovence.fr"]]
    assert reference in mail.outbox[0].body
