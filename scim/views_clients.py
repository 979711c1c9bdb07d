"""The connected services page: city staff see which services receive the directory; the
IT administrators register them, renew their token (shown once) and change or stop them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.mixins import CityStaffRequiredMixin

from . import services
from .forms import ScimClientForm
from .models import ScimClient
from .permissions import may_manage_scim_clients


class ScimClientListView(CityStaffRequiredMixin, View):
    def get(self, request):
        return self._page(request, ScimClientForm())

    def post(self, request):
        if not may_manage_scim_clients(request.user):
            raise PermissionDenied
        form = ScimClientForm(request.POST)
        if form.is_valid():
            client, token = services.scim_client_create(
                name=form.cleaned_data["name"],
                school_ids=[s.pk for s in form.cleaned_data["schools"]],
                actor=request.user,
            )
            return _token_page(request, client, token)
        return self._page(request, form)

    def _page(self, request, form):
        clients = ScimClient.objects.prefetch_related("schools").order_by("name")
        return render(
            request,
            "scim/scimclient_list.html",
            {
                "clients": clients,
                "form": form,
                "may_manage": may_manage_scim_clients(request.user),
                "base_url": request.build_absolute_uri("/scim/v2/"),
            },
        )


def _token_page(request, client, token):
    # Rendered, never redirected to: the token is in this answer only (no-store, see
    # entaix.hardening), and never stored in clear.
    return render(request, "scim/scimclient_token.html", {"client": client, "token": token})


class ScimClientManageMixin(CityStaffRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_manage_scim_clients(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScimClientDetailView(ScimClientManageMixin, View):
    def get(self, request, pk: int):
        client = get_object_or_404(ScimClient, pk=pk)
        form = ScimClientForm(
            client=client,
            initial={"schools": list(client.schools.all()), "is_active": client.is_active},
        )
        return self._page(request, client, form)

    def post(self, request, pk: int):
        client = get_object_or_404(ScimClient, pk=pk)
        form = ScimClientForm(request.POST, client=client)
        if form.is_valid():
            services.scim_client_update(
                client=client,
                school_ids=[s.pk for s in form.cleaned_data["schools"]],
                is_active=form.cleaned_data["is_active"],
                actor=request.user,
            )
            messages.success(request, _("%(name)s is saved.") % {"name": client.name})
            return redirect("scim:client-list")
        return self._page(request, client, form)

    def _page(self, request, client, form):
        return render(request, "scim/scimclient_detail.html", {"client": client, "form": form})


class ScimClientTokenRenewView(ScimClientManageMixin, View):
    def post(self, request, pk: int):
        client = get_object_or_404(ScimClient, pk=pk)
        token = services.scim_client_token_renew(client=client, actor=request.user)
        return _token_page(request, client, token)
