from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = _("Connected services (OpenID Connect)")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from accounts.context_processors import nav_extension_register
        from accounts.hooks import account_deactivation_register

        from .models import Client
        from .navigation import oidc_nav
        from .services import account_tokens_revoke

        # Who registered or changed a client, and what; never its secret (hashed anyway). The
        # privacy app registers it already when it runs first (privacy/audit.py).
        if not auditlog.contains(Client):
            auditlog.register(Client, exclude_fields=["client_secret"])
        # An account deactivated (left the feed, locked, an opposition upheld) loses its tokens
        # at once, in the same transaction.
        account_deactivation_register(account_tokens_revoke)
        nav_extension_register(oidc_nav)
