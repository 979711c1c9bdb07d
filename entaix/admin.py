from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# Third-party apps whose admin pages are view-only here.
READ_ONLY_APPS = {"axes"}


def _no(self, request, obj=None) -> bool:
    return False


class EntaixAdminSite(admin.AdminSite):
    """The admin is for city superusers only; directors and teachers use the portal."""

    site_header = "entaix"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def register(self, model_or_iterable, admin_class=None, **options):
        """django-axes' attempt logs are evidence: viewed (and deleted to unlock), never edited."""
        models = [model_or_iterable] if hasattr(model_or_iterable, "_meta") else model_or_iterable
        if admin_class is not None and all(m._meta.app_label in READ_ONLY_APPS for m in models):
            admin_class = type(admin_class.__name__, (admin_class,), {"has_change_permission": _no})
        return super().register(model_or_iterable, admin_class, **options)


class EntaixAdminConfig(AdminConfig):
    default_site = "entaix.admin.EntaixAdminSite"
