"""The scopes a service may ask for, and which of them each registered client may have.

`aaf` (the feed's join key) is available only to a client flagged as working on the same AAF
data under the convention (the ENT itself): asked by any other client, the request is refused
(`invalid_scope`), and the claim is never built for it (oidc/claims.py).
"""

from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

# In the order the consent screen lists them.
SCOPES = {
    "openid": _("Know that it is you: an identifier that reveals neither your login nor your "
                "school records"),
    "profile": _("Your name and your profile (pupil, guardian, teacher, director, staff)"),
    "email": _("Your e-mail address, if you have confirmed it"),
    "ent": _("Your schools and classes; for a parent, the school and class of each child; for "
             "school staff, their functions"),
    "aaf": _("Your identifier in the national school directory (AAF), for the ENT only"),
}  # fmt: skip
CONVENTION_ONLY = {"aaf"}


def client_scopes(client) -> list[str]:
    """The scopes this client may receive (its allowed list, `aaf` only under the convention)."""
    allowed = set(client.scope_list)
    if not client.aaf_convention:
        allowed -= CONVENTION_ONLY
    return [name for name in SCOPES if name in allowed]


class ClientScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend (`SCOPES_BACKEND_CLASS`)."""

    def get_all_scopes(self):
        return SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:  # the discovery document: every scope the provider knows
            return list(SCOPES)
        return client_scopes(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return ["openid"]
