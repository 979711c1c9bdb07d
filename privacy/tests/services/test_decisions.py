"""Finding 2: an upheld opposition (or erasure) takes effect: the account is deactivated and
locked (account_sync does not bring it back), no letter is printed, the person page shows it,
and the DPO can reverse it, audited."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from accounts import services as account_services
from accounts.audit import Event
from accounts.models import LetterBatch, User
from entaix.common.exceptions import ApplicationError
from entaix.tests.factories import account
from privacy import services
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def opposition(family, city_user):
    request = file_request(family, kind="opposition", message="Pas d'ENT pour Léa.")
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    return request


def _events(event) -> list[int]:
    return sorted(
        LogEntry.objects.filter(additional_data__event=event).values_list("object_id", flat=True)
    )


def test_an_upheld_opposition_deactivates_and_locks_the_childs_account(
    family, city_user, opposition
):
    lea = account(family.lea)
    assert lea.is_active
    services.data_request_decide(
        data_request=opposition, actor=city_user, decision="granted", legal_ground="art-21-granted"
    )
    lea.refresh_from_db()
    assert (lea.is_active, lea.locked_at is not None) == (False, True)
    assert lea.lock_reason == f"privacy-request-{opposition.pk}"
    # The mother's own account is untouched.
    assert account(family.mother).is_active and account(family.mother).locked_at is None
    assert _events(Event.ACCOUNT_LOCKED) == [lea.pk]
    # The next import's sync does not reactivate it; no letter can be printed for it.
    assert account_services.account_sync()["reactivated"] == 0
    lea.refresh_from_db()
    assert lea.is_active is False
    with pytest.raises(ApplicationError):
        account_services.letter_batch_create(
            actor=family.director.account, kind="selection", account_ids=[lea.pk]
        )
    assert LetterBatch.objects.count() == 0


def test_a_refused_opposition_changes_no_account(family, city_user, opposition):
    services.data_request_decide(
        data_request=opposition, actor=city_user, decision="refused", legal_ground="art-21-1"
    )
    assert User.objects.filter(locked_at__isnull=False).count() == 0
    assert account(family.lea).is_active
    assert _events(Event.ACCOUNT_LOCKED) == []


def test_the_person_page_shows_the_lock_and_the_dpo_reverses_it(
    family, city_user, opposition, client
):
    services.data_request_decide(
        data_request=opposition, actor=city_user, decision="granted", legal_ground="art-21-granted"
    )
    client.force_login(city_user)
    page = client.get(reverse("schools:pupil", args=[family.lea.pk]))
    assert "Verrouillé par une décision de protection des données" in page.content.decode()
    services.data_request_decision_revert(data_request=opposition, actor=city_user)
    lea = account(family.lea)
    assert (lea.is_active, lea.locked_at, lea.lock_reason) == (True, None, "")
    opposition.refresh_from_db()
    assert (opposition.decision, opposition.legal_ground) == ("", "")
    assert _events(Event.ACCOUNT_UNLOCKED) == [lea.pk]
    assert (
        LogEntry.objects.filter(
            additional_data__event=Event.REQUEST_DECISION_REVERTED, object_id=opposition.pk
        ).count()
        == 1
    )


def test_a_hand_locked_account_stays_off_through_account_sync(family, city_user):
    lea = account(family.lea)
    account_services.account_lock(account_ids=[lea.pk], actor=city_user, reason="manual")
    assert account_services.account_sync() == {"created": 0, "deactivated": 0, "reactivated": 0}
    lea.refresh_from_db()
    assert (lea.is_active, lea.lock_reason) == (False, "manual")


def test_the_dpo_reverses_from_the_request_page(family, city_user, opposition, client):
    services.data_request_decide(
        data_request=opposition, actor=city_user, decision="granted", legal_ground="art-21-granted"
    )
    client.force_login(city_user)
    url = reverse("privacy:request-action", args=[opposition.pk])
    assert client.post(url, {"action": "revert"}).status_code == 302
    assert account(family.lea).is_active is True
