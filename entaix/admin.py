from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

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

    def login(self, request, extra_context=None):
        """No password is checked here: the portal's login has the per-address limit, the
        per-account lockout and the second factor, so the admin sends there."""
        if request.user.is_authenticated:
            # Logged in without the right to the admin: the portal login would send back here.
            raise PermissionDenied
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")


class EntaixAdminConfig(AdminConfig):
    default_site = "entaix.admin.EntaixAdminSite"
