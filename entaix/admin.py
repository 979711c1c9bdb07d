from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class EntaixAdminSite(admin.AdminSite):
    """The admin is for city superusers only; directors and teachers use the portal."""

    site_header = "entaix"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class EntaixAdminConfig(AdminConfig):
    default_site = "entaix.admin.EntaixAdminSite"
