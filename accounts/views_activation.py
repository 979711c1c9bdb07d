"""Public pages of the ENT account: activation, forgotten password or login, e-mail
confirmation, and "Mon compte" (identity, e-mail, password, children).
"""

from axes.helpers import get_lockout_response as lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView
from django_ratelimit.decorators import ratelimit

from entaix.common.exceptions import ApplicationError

from . import lockout, mfa, selectors, services
from .emails import email_confirmation_token
from .forms import ActivationForm, EmailForm, LoginForgotForm, PasswordForgotForm
from .models import User, UserManager

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _rate(name: str):
    """Read the rate when the request comes, so settings can change without a restart."""
    return lambda group, request: getattr(settings, name)


def _typed_login(group: str, request: HttpRequest) -> str:
    return UserManager.normalize_login(request.POST.get("login", ""))[:254]


def _typed_identifier(group: str, request: HttpRequest) -> str:
    return request.POST.get("identifier", "").strip().lower()[:254]


def _typed_email(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()[:254]


def _limited(view_class, *, ip_rate: str, key_rate: str, key):
    """Count each POST per address and per typed login; `request.limited` when over either."""
    for group, rate, limit_key in (
        (f"{view_class.__name__}-ip", ip_rate, "ip"),
        (f"{view_class.__name__}-login", key_rate, key),
    ):
        view_class = method_decorator(
            ratelimit(group=group, key=limit_key, rate=_rate(rate), method="POST", block=False),
            name="post",
        )(view_class)
    return view_class


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/rate_limited.html", status=429)


@method_decorator(sensitive_post_parameters("password1", "password2", "code"), name="dispatch")
@method_decorator(never_cache, name="dispatch")
class ActivationView(FormView):
    template_name = "accounts/activation.html"
    form_class = ActivationForm

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            return _too_many(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = services.account_activate(
                login=data["login"],
                code=data["code"],
                password=data["password1"],
                email=data.get("email", ""),
                terms_version=settings.TERMS_OF_USE_VERSION,
            )
        except ApplicationError:
            form.add_error(None, form.error_messages["invalid_activation"])
            return self.form_invalid(form)
        auth_login(self.request, account, backend=_BACKEND)
        messages.success(self.request, _("Your account is activated. Welcome!"))
        if account.email:
            messages.info(
                self.request,
                _("We sent a message to your e-mail address: follow its link to confirm it."),
            )
        return redirect("account:detail")


ActivationView = _limited(
    ActivationView,
    ip_rate="ACTIVATION_RATE_PER_IP",
    key_rate="ACTIVATION_RATE_PER_LOGIN",
    key=_typed_login,
)


class TermsView(TemplateView):
    template_name = "accounts/terms.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(version=settings.TERMS_OF_USE_VERSION, **kwargs)


class PasswordForgotView(FormView):
    template_name = "accounts/password_forgot.html"
    form_class = PasswordForgotForm
    success_url = reverse_lazy("account:password-forgot-done")

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            return _too_many(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The same answer whatever happened: no account, a link sent, or a renewal request.
        services.account_recovery_request(identifier=form.cleaned_data["identifier"])
        return super().form_valid(form)


PasswordForgotView = _limited(
    PasswordForgotView,
    ip_rate="PASSWORD_FORGOT_RATE_PER_IP",
    key_rate="PASSWORD_FORGOT_RATE_PER_LOGIN",
    key=_typed_identifier,
)


class PasswordForgotDoneView(TemplateView):
    template_name = "accounts/password_forgot_done.html"


class LoginForgotView(FormView):
    """Forgotten login: an e-mail address in; the same answer whatever it is (no enumeration)."""

    template_name = "accounts/login_forgot.html"
    form_class = LoginForgotForm
    success_url = reverse_lazy("account:login-forgot-done")

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            return _too_many(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        services.account_login_reminder_request(email=form.cleaned_data["email"])
        return super().form_valid(form)


LoginForgotView = _limited(
    LoginForgotView,
    ip_rate="LOGIN_FORGOT_RATE_PER_IP",
    key_rate="LOGIN_FORGOT_RATE_PER_EMAIL",
    key=_typed_email,
)


class LoginForgotDoneView(TemplateView):
    template_name = "accounts/login_forgot_done.html"


class PasswordResetView(auth_views.PasswordResetConfirmView):
    """The e-mailed link: Django's single-use, time-limited token, then a new password."""

    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("account:detail")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        account = services.account_password_reset(
            account=self.user, password=form.cleaned_data["new_password1"]
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        auth_login(self.request, account, backend=_BACKEND)
        messages.success(self.request, _("Your new password is saved."))
        return HttpResponseRedirect(self.get_success_url())


class AccountDetailView(LoginRequiredMixin, TemplateView):
    """ "Mon compte": who I am, my e-mail and its state, my password, my children."""

    template_name = "accounts/account_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            account=user,
            children=selectors.guardian_children(account=user),
            mfa_offered=mfa.mfa_offered_to(user),
            email_form=kwargs.pop("email_form", None) or EmailForm(initial={"email": user.email}),
            **kwargs,
        )


class EmailChangeView(LoginRequiredMixin, View):
    def post(self, request):
        form = EmailForm(request.POST)
        if not form.is_valid():
            return _detail_with(request, form)
        account = services.account_email_set(account=request.user, email=form.cleaned_data["email"])
        if account.email:
            messages.info(request, _("We sent a message to this address: follow its link."))
        else:
            messages.success(request, _("Your e-mail address is removed."))
        return redirect("account:detail")


def _detail_with(request: HttpRequest, form: EmailForm) -> HttpResponse:
    view = AccountDetailView()
    view.setup(request)
    return view.render_to_response(view.get_context_data(email_form=form), status=400)


class EmailConfirmView(View):
    """The link of the confirmation e-mail shows a button; only the button (POST) confirms, so
    that a mail scanner opening the link confirms nothing."""

    template_name = "accounts/email_confirm.html"

    def _account(self, uidb64: str, token: str) -> User | None:
        try:
            pk = int(force_str(urlsafe_base64_decode(uidb64)))
        except (TypeError, ValueError, OverflowError):
            return None
        account = User.objects.filter(pk=pk, is_active=True).first()
        if account is None or not account.email or account.email_confirmed_at:
            return None
        return account if email_confirmation_token.check_token(account, token) else None

    def get(self, request, uidb64: str, token: str):
        account = self._account(uidb64, token)
        return render(request, self.template_name, {"valid": account is not None})

    def post(self, request, uidb64: str, token: str):
        account = self._account(uidb64, token)
        if account is None:
            return render(request, self.template_name, {"valid": False}, status=400)
        services.account_email_confirm(account=account)
        messages.success(request, _("Your e-mail address is confirmed."))
        if request.user.is_authenticated and request.user.pk == account.pk:
            return redirect("account:detail")
        return redirect(reverse("accounts:login"))


class PasswordChangeView(auth_views.PasswordChangeView):
    """A wrong current password counts against the account's lockout, as on the login page."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account:detail")

    def post(self, request, *args, **kwargs):
        if lockout.login_is_locked(request, request.user.login):
            return lockout_response(request, credentials={"username": request.user.login})
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            lockout.login_failure_record(self.request, self.request.user.login)
            if lockout.login_is_locked(self.request, self.request.user.login):
                return lockout_response(
                    self.request, credentials={"username": self.request.user.login}
                )
        return super().form_invalid(form)

    def form_valid(self, form):
        account = services.account_password_change(
            account=self.request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, account)
        messages.success(self.request, _("Your password is changed."))
        return HttpResponseRedirect(self.get_success_url())
