from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScimConfig(AppConfig):
    name = "scim"
    verbose_name = _("SCIM provisioning")

    def ready(self) -> None:
        from accounts.context_processors import nav_extension_register
        from accounts.directory import directory_refresh_register

        from .navigation import scim_nav
        from .services import scim_groups_refresh

        # Groups' versions follow the directory: recomputed after every refresh of accounts.
        directory_refresh_register(scim_groups_refresh)
        nav_extension_register(scim_nav)
