from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from entaix.common.cache import CacheUnavailable

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Per-address ceiling on login posts (django-ratelimit, in Redis). With Redis down the
        # login keeps working without it: the per-login lockout (django-axes) is in the database.
        try:
            limited = is_ratelimited(
                request, group="accounts.views.LoginView", key="ip",
                rate=settings.LOGIN_RATE_PER_IP, method="POST", increment=True,
            )  # fmt: skip
        except CacheUnavailable:
            limited = False
        if limited:
            return rate_limited(request, None)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def rate_limited(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    return render(request, "accounts/rate_limited.html", status=429)
