from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from accounts.directory_selectors import directed_schools_for_user
from accounts.mixins import CityStaffRequiredMixin, ScopedMixin
from accounts.scope import get_in_scope_or_404, scope_for_user
from entaix.common.csv_export import csv_writer
from entaix.common.exceptions import ApplicationError
from imports import fetch, selectors, services
from imports.guards import held_reason_labels
from imports.models import FetchAttempt, ImportRun


class ImportRunListView(CityStaffRequiredMixin, ListView):
    template_name = "imports/importrun_list.html"
    context_object_name = "runs"
    paginate_by = 25

    def get_queryset(self):
        return selectors.import_run_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["alerts"] = selectors.delivery_alerts_open()
        context["interrupted"] = selectors.import_runs_interrupted()
        context["fetches"] = selectors.fetch_attempt_list(limit=5)
        context["working"] = any(
            r.status in ("planning", "applying") for r in context["runs"]
        ) or any(f.status == FetchAttempt.Status.RUNNING for f in context["fetches"])
        return context


class ImportRunDetailView(CityStaffRequiredMixin, DetailView):
    template_name = "imports/importrun_detail.html"
    context_object_name = "run"
    queryset = ImportRun.objects.select_related("requested_by", "decided_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        context["reasons"] = held_reason_labels(run.held_reasons)
        context["summary"] = selectors.import_plan_summary(run=run)
        context["leaving"] = selectors.import_plan_items(run=run, action="leave")
        context["problems"] = selectors.import_problems(run=run)[:200]
        context["files"] = run.files.order_by("kind", "part")
        if run.status == ImportRun.Status.HELD and "changeover" in run.held_reasons:
            context["changeover"] = selectors.changeover_review_cached(run=run)
        context["split_from"] = run.split_from
        context["remainder"] = selectors.import_run_held_remainder(run=run)
        return context


class ImportRunApproveView(CityStaffRequiredMixin, View):
    """Approve a held run: all of it, or (a changeover) the schools ticked on its review."""

    def post(self, request, pk: int):
        school_keys = None
        if request.POST.get("scope") == "schools":
            run = get_object_or_404(ImportRun, pk=pk)
            school_keys = selectors.changeover_school_keys(
                run=run, uais=request.POST.getlist("schools")
            )
        try:
            run = services.import_run_approve(
                run_id=pk, actor=request.user, school_keys=school_keys
            )
            services.import_run_queue(run_id=run.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("imports:run-detail", pk=pk)
        remainder = selectors.import_run_held_remainder(run=run)
        if remainder is None:
            messages.success(request, _("Run approved: it is being applied."))
            return redirect("imports:run-detail", pk=pk)
        messages.success(
            request,
            _(
                "The chosen schools are approved: their part is being applied. The other "
                "schools stay held, as run #%(run)s."
            )
            % {"run": remainder.pk},
        )
        return redirect("imports:run-detail", pk=remainder.pk)


class ImportRunResumeView(CityStaffRequiredMixin, View):
    def post(self, request, pk: int):
        try:
            services.import_run_resume_queue(run_id=pk, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Run resumed: it is being applied."))
        return redirect("imports:run-list")


class ImportRunDiscardView(CityStaffRequiredMixin, View):
    def post(self, request, pk: int):
        try:
            services.import_run_discard(run_id=pk, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Run discarded: nothing was changed."))
        return redirect("imports:run-detail", pk=pk)


class FetchNowView(CityStaffRequiredMixin, View):
    def post(self, request):
        clicked = timezone.now()
        fetch.aaf_fetch_queue(actor_id=request.user.pk)
        # With a quick worker (or eager tasks) the outcome is known already: say it, not "started".
        attempt = selectors.fetch_attempt_requested_since(actor_id=request.user.pk, since=clicked)
        status = attempt.status if attempt is not None else FetchAttempt.Status.RUNNING
        if status == FetchAttempt.Status.FAILED:
            messages.error(
                request,
                _("The fetch from the Académie failed: %(reason)s.") % {"reason": attempt.reason},
            )
        elif status == FetchAttempt.Status.FETCHED:
            messages.success(
                request, _("New files were fetched from the Académie: their import has started.")
            )
        elif status == FetchAttempt.Status.NOTHING:
            messages.info(request, _("The Académie's server had no new file."))
        else:
            messages.info(
                request, _("Fetch requested: its outcome shows below as soon as it is finished.")
            )
        return redirect("imports:run-list")


class ImportProblemsCsvView(ScopedMixin, View):
    """Problems of a run as CSV: all of them for city staff, one school's for its director.

    The school report is the director's (and the city's): teachers see their classes, not it.
    """

    def get(self, request, pk: int, uai: str | None = None):
        run = get_object_or_404(ImportRun, pk=pk)
        school_key = None
        if uai is not None:
            directed = directed_schools_for_user(user=request.user)
            school_key = get_in_scope_or_404(directed, uai=uai).join_key
        elif not scope_for_user(request.user).is_city:
            raise PermissionDenied
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-problems.csv"'
        writer = csv_writer(response)
        writer.writerow(["level", "code", "file", "line", "identifier", "school", "message"])
        for p in selectors.import_problems(run=run, school_key=school_key).iterator():
            writer.writerow([p.level, p.code, p.file, p.line or "", p.identifier, p.school_key,
                             p.display_message])  # fmt: skip
        return response


class SchoolImportReportView(ScopedMixin, DetailView):
    """One school's part of a run: who arrived, who left, what changed, what looks wrong."""

    template_name = "imports/school_report.html"
    context_object_name = "run"
    model = ImportRun

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = get_in_scope_or_404(
            directed_schools_for_user(user=self.request.user), uai=self.kwargs["uai"]
        )
        context["school"] = school
        context["counts"] = self.object.school_counts.get(school.join_key, {})
        context["summary"] = selectors.import_plan_summary(
            run=self.object, school_key=school.join_key
        )
        context["problems"] = selectors.import_problems(
            run=self.object, school_key=school.join_key
        )[:200]
        return context
