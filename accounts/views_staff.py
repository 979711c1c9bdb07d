"""Staff pages for accounts: class and staff lists, resets, activation letters, renewal queue.

Teachers act on their classes, directors on their school, city staff on every school; every
object comes through `accounts.scope` (via `accounts.selectors`), and an id out of scope is a 404
before anything is written.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from entaix.common.exceptions import ApplicationError
from schools.kinds import PersonKind

from . import directory_selectors, selectors, services
from .forms import ClassLettersForm, LetterBatchForm, SelectionForm
from .mixins import ScopedMixin
from .models import LetterBatch
from .scope import classes_for_user, get_in_scope_or_404


def _back(request, default: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _accounts_in_scope_or_404(user, ids: list[int]) -> list:
    accounts = list(selectors.accounts_for_user(user=user).filter(pk__in=ids).order_by("pk"))
    if len(accounts) != len(ids):
        raise Http404
    return accounts


def _pdf(batch: LetterBatch, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="lettres-ent-{batch.pk}.pdf"'
    # The letters carry activation codes: no cache anywhere keeps a copy.
    response["Cache-Control"] = "no-store, private"
    return response


class AccountIndexView(ScopedMixin, TemplateView):
    template_name = "accounts/account_index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        classes = list(directory_selectors.open_classes_for_user(user=user))
        to_print = selectors.class_letters_to_print(user=user, classes=classes)
        return super().get_context_data(
            classes=[(c, *to_print.get(c.pk, (0, 0))) for c in classes],
            schools=directory_selectors.directed_schools_for_user(user=user),
            **kwargs,
        )


class ClassAccountsView(ScopedMixin, TemplateView):
    template_name = "accounts/class_accounts.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        school_class = get_in_scope_or_404(
            classes_for_user(user).select_related("school"), pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            school_class=school_class,
            pupils=selectors.class_pupils_for_user(user=user, school_class=school_class),
            batch_form=LetterBatchForm(classes=classes_for_user(user).filter(pk=school_class.pk)),
            **kwargs,
        )


class StaffAccountsView(ScopedMixin, TemplateView):
    template_name = "accounts/staff_accounts.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        school = get_in_scope_or_404(
            directory_selectors.directed_schools_for_user(user=user), uai=self.kwargs["uai"]
        )
        return super().get_context_data(
            school=school,
            staff=selectors.school_staff_for_user(user=user, school=school),
            **kwargs,
        )


class AccountResetView(ScopedMixin, View):
    def post(self, request):
        form = SelectionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Select at least one account."))
            return _back(request, reverse("accounts:account-index"))
        accounts = _accounts_in_scope_or_404(request.user, form.cleaned_data["ids"])
        try:  # refused before the confirmation page, not after it
            services.account_credentials_check(
                actor=request.user, account_ids=[a.pk for a in accounts]
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back(request, reverse("accounts:account-index"))
        if request.POST.get("confirm") != "1":
            # First say what it does: activated accounts lose their password (and sessions).
            next_url = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = reverse("accounts:account-index")
            active = [a for a in accounts if a.is_active]
            return render(
                request,
                "accounts/reset_confirm.html",
                {
                    "accounts": accounts,
                    "count": len(active),
                    "activated": sum(1 for a in active if a.is_activated),
                    "next_url": next_url,
                },
            )
        try:
            reset = services.account_reset(accounts=accounts, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back(request, reverse("accounts:account-index"))
        messages.success(
            request,
            ngettext(
                "%(count)d account reset: print its letter now.",
                "%(count)d accounts reset: print their letters now.",
                len(reset),
            )
            % {"count": len(reset)},
        )
        query = "&".join(f"ids={pk}" for pk in reset)
        return redirect(f"{reverse('accounts:account-reset-done')}?{query}")


class AccountResetDoneView(ScopedMixin, TemplateView):
    """After a reset: the accounts just reset, and the button that prints their letters."""

    template_name = "accounts/reset_done.html"

    def get_context_data(self, **kwargs):
        form = SelectionForm({"ids": self.request.GET.getlist("ids")})
        ids = form.cleaned_data["ids"] if form.is_valid() else []
        accounts = _accounts_in_scope_or_404(self.request.user, ids) if ids else []
        return super().get_context_data(accounts=accounts, **kwargs)


class LetterBatchCreateView(ScopedMixin, View):
    """Letters for a selection of accounts (any mix of pupils, guardians, staff)."""

    def post(self, request):
        form = SelectionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Select at least one account."))
            return _back(request, reverse("accounts:account-index"))
        accounts = _accounts_in_scope_or_404(request.user, form.cleaned_data["ids"])
        try:
            batch, pdf = services.letter_batch_create(
                actor=request.user,
                kind=LetterBatch.Kind.SELECTION,
                account_ids=[a.pk for a in accounts],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back(request, reverse("accounts:account-index"))
        return _pdf(batch, pdf)


class ClassLettersView(ScopedMixin, View):
    """Every letter a class still needs (its guardians with authority, or its pupils): a batch
    built in the background, followed on its page (see `views_batches`)."""

    def post(self, request, pk: int):
        school_class = get_in_scope_or_404(
            classes_for_user(request.user).select_related("school"), pk=pk
        )
        form = ClassLettersForm(request.POST)
        audience = form.cleaned_data["audience"] if form.is_valid() else PersonKind.GUARDIAN
        left = selectors.class_letters_left_to_city_count(
            user=request.user, school_class=school_class, audience=audience
        )
        if left:
            messages.info(
                request,
                ngettext(
                    "%(count)d account of this class reaches beyond your scope: the school "
                    "service prints its letter.",
                    "%(count)d accounts of this class reach beyond your scope: the school "
                    "service prints their letters.",
                    left,
                )
                % {"count": left},
            )
        try:
            batch = services.letter_batch_request(
                actor=request.user,
                school=school_class.school,
                school_class=school_class,
                profile=LetterBatch.Profile(audience),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("accounts:class-accounts", pk=school_class.pk)
        return redirect("accounts:letter-batch", pk=batch.pk)


class RenewalListView(ScopedMixin, TemplateView):
    template_name = "accounts/renewal_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            requests=selectors.renewal_requests_for_user(user=self.request.user),
            handled=selectors.renewal_requests_handled_for_user(user=self.request.user),
            **kwargs,
        )


class RenewalPrintView(ScopedMixin, View):
    def post(self, request):
        form = SelectionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Select at least one request."))
            return redirect("accounts:renewal-list")
        ids = form.cleaned_data["ids"]
        requests = list(selectors.renewal_requests_for_user(user=request.user).filter(pk__in=ids))
        if len(requests) != len(ids):
            raise Http404
        try:
            batch, pdf = services.renewal_request_fulfil(actor=request.user, requests=requests)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("accounts:renewal-list")
        return _pdf(batch, pdf)
