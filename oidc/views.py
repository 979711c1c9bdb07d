"""The provider's pages: city staff's list of connected services, and the toolkit's
endpoints with entaix's templates and account rule."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from oauth2_provider import views as dot
from oauth2_provider.exceptions import OAuthToolkitError

from accounts.mfa import has_second_factor
from accounts.mixins import CityStaffRequiredMixin
from oidc import selectors, services
from oidc.forms import ClientForm, model_errors_to_form
from oidc.models import Client
from oidc.permissions import may_manage_clients


class ClientManagerMixin(LoginRequiredMixin):
    """IT administrators and superusers; everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_manage_clients(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ClientListView(CityStaffRequiredMixin, View):
    """Every city staff member sees which services receive the ENT's data; IT changes them."""

    def get(self, request):
        return render(
            request,
            "oidc/client_list.html",
            {
                "clients": list(selectors.client_list()),
                "may_manage": may_manage_clients(request.user),
                "issuer": request.build_absolute_uri("/").rstrip("/"),
            },
        )


def _secret_page(request, client: Client, secret: str):
    # Shown once, never stored in clear: the answer to this POST is the only place it appears.
    return render(request, "oidc/client_secret.html", {"client": client, "secret": secret})


class ClientCreateView(ClientManagerMixin, View):
    def get(self, request):
        return render(request, "oidc/client_form.html", {"form": ClientForm(), "client": None})

    def post(self, request):
        form = ClientForm(request.POST)
        if form.is_valid():
            try:
                client, secret = services.client_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                model_errors_to_form(form, exc)
            else:
                return _secret_page(request, client, secret)
        return render(request, "oidc/client_form.html", {"form": form, "client": None})


class ClientUpdateView(ClientManagerMixin, View):
    def get(self, request, pk: int):
        client = get_object_or_404(Client, pk=pk)
        form = ClientForm(initial=ClientForm.initial_for(client))
        return render(request, "oidc/client_form.html", {"form": form, "client": client})

    def post(self, request, pk: int):
        client = get_object_or_404(Client, pk=pk)
        form = ClientForm(request.POST)
        if form.is_valid():
            try:
                services.client_update(client=client, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                model_errors_to_form(form, exc)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": client.name})
                return redirect("oidc:client-list")
        return render(request, "oidc/client_form.html", {"form": form, "client": client})


class ClientSecretRenewView(ClientManagerMixin, View):
    def post(self, request, pk: int):
        client = get_object_or_404(Client, pk=pk, client_type=Client.CLIENT_CONFIDENTIAL)
        secret = services.client_secret_renew(client=client, actor=request.user)
        return _secret_page(request, client, secret)


class AuthorizationView(dot.AuthorizationView):
    """The authorization endpoint. Not signed in: the portal's login page (its lockout, rate
    limits and second factor), then back here; signed in without having proved the second
    factor the account has: signed out, then the same. A signed-in account that may not sign
    in to a service (city staff, a locked account) sends the service `access_denied`."""

    template_name = "oidc/authorize.html"

    def dispatch(self, request, *args, **kwargs):
        # A session that never proved the account's second factor (signed in before it was
        # turned on) is signed out here: the login page then asks for the code.
        user = request.user
        if user.is_authenticated and not user.is_verified() and has_second_factor(user):
            logout(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not selectors.account_may_sign_in(request.user):
            return self._deny(request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not selectors.account_may_sign_in(request.user):
            return self._deny(request)
        return super().post(request, *args, **kwargs)

    def _deny(self, request):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = Client.objects.get(client_id=credentials["client_id"])
        try:
            self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=False
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        raise PermissionDenied  # unreachable: a refusal always raises above


class TokenView(dot.TokenView):
    """The token endpoint, in one transaction: the grant is locked while its code is exchanged
    (oidc/validator.py), the ID token, access and refresh tokens, the sign-in record and the
    grant's deletion are written together or not at all, and PostgreSQL flushes its log once per
    request instead of three times."""

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().post(request, *args, **kwargs)


class LogoutView(dot.RPInitiatedLogoutView):
    template_name = "oidc/logout_confirm.html"
