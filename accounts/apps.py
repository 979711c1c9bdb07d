from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import ActivationCode, LetterBatch, RenewalRequest

        # The code's digest and ciphertext never reach the audit trail, not even as a diff.
        auditlog.register(ActivationCode, exclude_fields=["digest", "ciphertext"])
        auditlog.register(LetterBatch)
        auditlog.register(RenewalRequest)
        # The other personal-data models are registered by the privacy app (privacy/audit.py).
