"""The retention preview, legal holds, purge receipts and destruction certificates (DPO)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from entaix.common.exceptions import ApplicationError
from privacy import forms, inventory, selectors, services
from privacy.models import LegalHold, PurgeRun
from privacy.services.termination import certificate_text
from privacy.views.common import DpoRequiredMixin
from schools.kinds import PERSON_MODELS


class RetentionPreviewView(DpoRequiredMixin, TemplateView):
    """Who will be purged when, and why: the rule and the date it is computed from."""

    template_name = "privacy/retention_preview.html"

    def get_context_data(self, **kwargs):
        form = forms.RetentionPreviewForm(self.request.GET or None)
        today = timezone.localdate()
        due_only = False
        if form.is_valid():
            today = form.cleaned_data["today"] or today
            due_only = form.cleaned_data["due_only"]
        plan = selectors.retention_plan(today=today)
        entries = plan.due if due_only else plan.entries
        page = Paginator(entries, 100).get_page(self.request.GET.get("page"))
        names = _names([(e.kind, e.person_id) for e in page.object_list])
        rows = [(e, names.get((e.kind, e.person_id), ""), e.is_due(today)) for e in page]
        return super().get_context_data(
            form=form,
            plan=plan,
            page_obj=page,
            rows=rows,
            today=today,
            due=len(plan.due),
            rules=inventory.Rule,
            **kwargs,
        )


def _names(refs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    result = {}
    for kind, model in PERSON_MODELS.items():
        ids = [pk for k, pk in refs if k == kind]
        for pk, first, last in model.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name"
        ):
            result[(str(kind), pk)] = f"{first} {last}"
    return result


class LegalHoldListView(DpoRequiredMixin, TemplateView):
    template_name = "privacy/legal_holds.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            holds=selectors.legal_holds(active=False)[:200],
            form=kwargs.pop("form", None) or forms.LegalHoldForm(initial=self.request.GET),
            **kwargs,
        )

    def post(self, request):
        form = forms.LegalHoldForm(request.POST)
        if form.is_valid():
            try:
                services.legal_hold_place(**form.cleaned_data, actor=request.user)
                messages.success(request, _("Legal hold placed."))
                return redirect("privacy:hold-list")
            except ApplicationError as exc:
                form.add_error(None, exc.message)
        return self.render_to_response(self.get_context_data(form=form))


class LegalHoldLiftView(DpoRequiredMixin, View):
    def post(self, request, pk):
        hold = get_object_or_404(LegalHold, pk=pk)
        try:
            services.legal_hold_lift(hold=hold, actor=request.user)
            messages.success(request, _("Legal hold lifted."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("privacy:hold-list")


class PurgeRunListView(DpoRequiredMixin, ListView):
    template_name = "privacy/purge_list.html"
    context_object_name = "runs"
    paginate_by = 50

    def get_queryset(self):
        return selectors.purge_runs()


class PurgeRunDetailView(DpoRequiredMixin, TemplateView):
    template_name = "privacy/purge_detail.html"

    def get_context_data(self, **kwargs):
        run = get_object_or_404(selectors.purge_runs(), pk=self.kwargs["pk"])
        certificate = certificate_text(run) if run.kind == PurgeRun.Kind.TERMINATION else ""
        return super().get_context_data(run=run, certificate=certificate, **kwargs)
