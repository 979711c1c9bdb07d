"""The client's address, resolved in one place for rate limits, django-axes, the audit trail and
login records.

Behind the city's reverse proxy every request reaches gunicorn from the proxy's address; the
proxy appends the address it saw to `X-Forwarded-For`. The header is believed only when the
request comes from a trusted proxy (`TRUSTED_PROXIES`: addresses or networks); then the client
is the right-most address of the header that is not itself a trusted proxy. Whatever a client
writes into its own `X-Forwarded-For` stays to the left of what the proxy appends, so it never
chooses its address. Without a trusted proxy the header is ignored: `REMOTE_ADDR`.

The addresses are compared with the standard library's `ipaddress` (IPv4, IPv6, networks);
python-ipware's proxy settings fix the client's position in the header by count or by an ordered
list instead of walking past every trusted hop, which is what a proxy chain of varying length
(city proxy, then the Docker bridge or not) needs.
"""

import ipaddress
from functools import lru_cache

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_ATTR = "_entaix_client_ip"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TRUSTED_PROXIES must list IP addresses or networks (comma-separated)."
        ) from exc


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is the IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip_from(remote_addr: str, forwarded_for: str, trusted: tuple[str, ...]) -> str:
    """The client's address from the socket peer and the X-Forwarded-For header."""
    networks = _networks(tuple(trusted))
    remote = _address(remote_addr or "")
    if not _trusted(remote, networks):
        return str(remote) if remote is not None else (remote_addr or "")
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage a trusted proxy would never write: stop believing the header
        if not _trusted(address, networks):
            return str(address)
    # Only trusted hops (a request from the proxies themselves), or no usable header.
    return str(remote)


def client_ip(request: HttpRequest) -> str:
    """The request's client address (computed once per request)."""
    cached = getattr(request, _ATTR, None)
    if cached is None:
        cached = client_ip_from(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR", ""),
            tuple(settings.TRUSTED_PROXIES),
        )
        setattr(request, _ATTR, cached)
    return cached


class AuditlogClientIpMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, recording the resolved client address: its own reads the
    left-most X-Forwarded-For entry, which the client writes, and the X-Forwarded-Port header."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request) -> None:
        return None
