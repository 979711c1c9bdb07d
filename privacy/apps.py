from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Data protection")

    def ready(self) -> None:
        # Here rather than at the top: Django reads apps.py before any model is loaded, and these
        # modules import models (the documented place, not a way round a cycle).
        from accounts.context_processors import nav_extension_register
        from imports.hooks import after_apply_register, import_blocker_register

        from .audit import audit_register
        from .navigation import privacy_nav
        from .selectors import convention_terminated
        from .services import rectification_tasks_check

        # auditlog on every personal-data model the inventory lists.
        audit_register()
        # No data may be fetched or imported once the convention has ended; a correction asked
        # in a data request is closed once the feed shows it.
        import_blocker_register(convention_terminated)
        after_apply_register(rectification_tasks_check)
        nav_extension_register(privacy_nav)
