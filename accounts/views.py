from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from .forms import LoginForm


def _login_rate(group, request) -> str:
    return settings.LOGIN_RATE_PER_IP


@method_decorator(
    ratelimit(group="login-ip", key="ip", rate=_login_rate, method="POST", block=True),
    name="post",
)
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "accounts/rate_limited.html", status=429)
