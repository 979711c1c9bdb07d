"""The client's address behind the reverse proxy: one resolver (entaix/client_ip.py) used by the
rate limits, django-axes, the audit trail and the login records."""

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.urls import reverse

from entaix.client_ip import client_ip_from

PROXY = "172.18.0.1"
TRUSTED = ("172.18.0.0/16", "10.20.0.5")


@pytest.mark.parametrize(
    ("remote", "header", "expected"),
    [
        # No trusted proxy in front: the header is the client's own words, ignored.
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        ("203.0.113.7", "", "203.0.113.7"),
        # Through the proxy: the address it appended.
        (PROXY, "198.51.100.1", "198.51.100.1"),
        # A client that sends its own X-Forwarded-For: the proxy appends the real one.
        (PROXY, "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        (PROXY, "1.2.3.4,5.6.7.8, 198.51.100.1", "198.51.100.1"),
        # Two trusted hops (the city proxy, then the Docker bridge): walk past both.
        (PROXY, "1.2.3.4, 198.51.100.1, 10.20.0.5", "198.51.100.1"),
        # Only trusted hops, or garbage a proxy never writes: the peer itself.
        (PROXY, "10.20.0.5", PROXY),
        (PROXY, "", PROXY),
        (PROXY, "1.2.3.4, not-an-ip", PROXY),
        # IPv6, and an IPv4 client seen through an IPv6 socket.
        (PROXY, "2001:db8::1", "2001:db8::1"),
        ("::ffff:203.0.113.9", "", "203.0.113.9"),
    ],
)
def test_client_ip_from(remote, header, expected):
    assert client_ip_from(remote, header, TRUSTED) == expected


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip_from(PROXY, "198.51.100.1", ()) == PROXY


pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["172.18.0.0/16"]
    settings.ACTIVATION_RATE_PER_IP = "3/h"
    settings.ACTIVATION_RATE_PER_LOGIN = "100/h"


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()


def activate(client, n: int, *, forwarded: str | None = None, remote: str = PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    data = {"login": f"inconnu.{n}", "code": "AAAAA-BBBBB", "password1": "x", "password2": "x"}
    return client.post(reverse("account:activate"), data, **headers).status_code


def test_two_clients_behind_the_trusted_proxy_have_separate_budgets(client, behind_proxy):
    assert [activate(client, n, forwarded="198.51.100.1") for n in range(4)] == [200] * 3 + [429]
    # Another parent behind the same proxy is still served.
    assert activate(client, 9, forwarded="198.51.100.2") == 200


def test_a_client_rotating_its_forwarded_for_keeps_one_budget(client, behind_proxy):
    codes = [activate(client, n, forwarded=f"9.9.9.{n}, 198.51.100.1") for n in range(4)]
    assert codes == [200] * 3 + [429]


def test_without_a_trusted_proxy_the_header_is_ignored(client, settings, behind_proxy):
    settings.TRUSTED_PROXIES = []
    codes = [activate(client, n, forwarded=f"198.51.100.{n}") for n in range(4)]
    assert codes == [200] * 3 + [429]


def test_axes_records_the_client_address(client, two_schools, behind_proxy):
    client.post(
        reverse("accounts:login"),
        {"username": "dir.a", "password": "wrong password!!"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4",
    )
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("dir.a", "198.51.100.4")
    ]


def test_audit_trail_records_the_client_address(client, two_schools, behind_proxy):
    from accounts import services
    from entaix.tests.factories import account, guardian_of

    services.account_sync()
    synced = two_schools
    parent = account(guardian_of(synced["a"]["pupils"][0]))
    client.force_login(synced["a"]["director"].account)
    response = client.post(
        reverse("accounts:account-reset"),
        {"ids": [parent.pk], "confirm": "1"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.5",
        HTTP_X_FORWARDED_PORT="4444",
    )
    assert response.status_code == 302
    entries = LogEntry.objects.filter(additional_data__event="reset")
    assert list(entries.values_list("remote_addr", "remote_port")) == [("198.51.100.5", None)]
