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

        # Data protection (issue 7): auditlog on every other personal-data model, and the
        # Celery tasks of accounts/gdpr (not found by autodiscovery in a sub-package).
        from .gdpr import tasks  # noqa: F401
        from .gdpr.audit import audit_register

        audit_register()
