"""View guards built on accounts/scope.py: every staff page uses one of these."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from .scope import scope_for_user


class ScopedMixin(LoginRequiredMixin):
    """Staff pages: a logged-in user with no role in any school gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and scope_for_user(request.user).is_empty:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CityStaffRequiredMixin(LoginRequiredMixin):
    """City school-service pages (imports, all schools): directors and teachers get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope_for_user(request.user).is_city:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
