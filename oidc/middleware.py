"""CSP `form-action` for the pages of the sign-in flow of a connected service.

The portal's policy lets forms post only to itself, and browsers apply `form-action` to the
redirects that follow a form too: the login form (redirecting to the authorization endpoint,
which redirects to the service), the consent form and the logout confirmation would be stopped
on their way back to the service. On those pages only, the origins of that one client's
registered addresses are added; everywhere else the policy is unchanged.
"""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.csp import CSP

from oidc.models import Client


def _origin(uri: str) -> str | None:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _client_origins(client_id: str) -> list[str]:
    client = Client.objects.filter(client_id=client_id, is_active=True).first()
    if client is None:
        return []
    uris = client.redirect_uris.split() + client.post_logout_redirect_uris.split()
    return sorted({o for o in map(_origin, uris) if o})


class ClientFormActionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "text/html" not in response.get("Content-Type", ""):
            return response
        client_id = self._client_id(request)
        if client_id:
            origins = _client_origins(client_id)
            if origins:
                policy = dict(getattr(response, "_csp_config", None) or settings.SECURE_CSP)
                policy["form-action"] = [CSP.SELF, *origins]
                response._csp_config = policy
        return response

    @staticmethod
    def _client_id(request) -> str | None:
        authorize = reverse("oauth2_provider:authorize")
        logout = reverse("oauth2_provider:rp-initiated-logout")
        if request.path in (authorize, logout):
            return request.GET.get("client_id") or request.POST.get("client_id")
        if request.path == reverse("accounts:login"):
            following = request.GET.get("next") or request.POST.get("next") or ""
            parts = urlsplit(following)
            if parts.path == authorize:
                return (parse_qs(parts.query).get("client_id") or [None])[0]
        return None
