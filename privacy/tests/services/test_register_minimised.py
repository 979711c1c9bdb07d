"""Finding 11: once a request is closed, the register keeps no more than it needs: the child
as typed on the form (and the requester's phone) are gone, from the row and its audit trail."""

import pytest

from privacy import services
from privacy.tests.conftest import file_request, where_found

pytestmark = pytest.mark.django_db


def test_a_closed_request_keeps_no_typed_child_nor_phone(family, city_user):
    request = file_request(
        family,
        child_first_name="Zoélie",
        child_last_name="Marchettoni",
        requester_phone="0612345678",
    )
    assert where_found(["Zoélie", "Marchettoni", "0612345678"]) != []
    services.data_request_close(
        data_request=request, actor=city_user, status="answered", answer="Réponse envoyée."
    )
    request.refresh_from_db()
    assert (
        request.child_first_name,
        request.child_last_name,
        request.child_birth_date,
        request.requester_phone,
    ) == ("", "", None, "")
    assert where_found(["Zoélie", "Marchettoni", "0612345678"]) == []
    # What the register must show is kept: who asked, what, the answer.
    assert (request.reference, request.requester_email, request.answer) == (
        request.reference,
        "aissatou@example.fr",
        "Réponse envoyée.",
    )
