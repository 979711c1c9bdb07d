import pytest

from accounts.services import account_sync
from scim import services


@pytest.fixture
def synced(two_schools):
    """`two_schools` with its accounts (and their exported state) made by account_sync."""
    account_sync()
    return two_schools


@pytest.fixture
def client_a(synced):
    """A SCIM client serving school A only, and its token."""
    client, token = services.scim_client_create(
        name="ENT ONE", school_ids=[synced["a"]["school"].pk]
    )
    return client, token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
