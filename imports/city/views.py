"""Pages of the people outside the feed: the list, the one-by-one form, and the CSV wizard
(upload → preview of every row → apply or discard → report). The school service only."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from accounts.scope import may_manage_city_people
from entaix.common.csv_export import csv_writer
from entaix.common.exceptions import ApplicationError
from imports.city import checks, forms, selectors, services
from imports.models import CityPersonImport
from schools.models import Staff


class CityPeopleRequiredMixin(LoginRequiredMixin):
    """The school service (and a superuser): directors, teachers, the DPO and IT get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_manage_city_people(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CityPersonListView(CityPeopleRequiredMixin, ListView):
    template_name = "imports/cityperson_list.html"
    context_object_name = "people"
    paginate_by = 50

    def get_queryset(self):
        return selectors.city_person_list(present=self.request.GET.get("partis") != "1")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["left"] = self.request.GET.get("partis") == "1"
        context["imports"] = selectors.city_person_import_list(limit=5)
        return context


class CityPersonCreateView(CityPeopleRequiredMixin, FormView):
    template_name = "imports/cityperson_form.html"
    form_class = forms.CityPersonForm

    def form_valid(self, form):
        staff = services.city_person_create(values=form.values, actor=self.request.user)
        staff.refresh_from_db()
        login = staff.account.login if staff.account_id else ""
        if login:
            message = _("Person added; their login: %(login)s.") % {"login": login}
            messages.success(self.request, message)
        else:
            messages.success(
                self.request, _("Person added; their account comes when their school opens.")
            )
        return redirect("imports:city-person-list")


class CityPersonUpdateView(CityPeopleRequiredMixin, FormView):
    template_name = "imports/cityperson_form.html"
    form_class = forms.CityPersonForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and may_manage_city_people(request.user):
            self.staff = selectors.city_person_get(pk=kwargs["pk"])
            if self.staff is None:
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "staff": self.staff}

    def get_context_data(self, **kwargs):
        return super().get_context_data(staff=self.staff, **kwargs)

    def form_valid(self, form):
        services.city_person_update(staff=self.staff, values=form.values, actor=self.request.user)
        messages.success(self.request, _("Changes saved."))
        return redirect("imports:city-person-list")


class CityPersonImportUploadView(CityPeopleRequiredMixin, FormView):
    template_name = "imports/citypersonimport_upload.html"
    form_class = forms.CityPersonImportForm

    def form_valid(self, form):
        run = services.city_person_import_check(
            data=form.data_bytes, filename=form.cleaned_data["file"].name, actor=self.request.user
        )
        return redirect("imports:city-import", pk=run.pk)


def _import_or_404(pk: int) -> CityPersonImport:
    run = selectors.city_person_import_get(pk=pk)
    if run is None:
        raise Http404
    return run


def _preview_rows(run: CityPersonImport) -> list[dict]:
    """Each CSV row with its level and its findings, OK rows included."""
    by_line: dict[int, list[dict]] = {}
    for finding in run.findings:
        if finding["line"]:
            by_line.setdefault(finding["line"], []).append(finding)
    rows = []
    for row in run.rows:
        found = by_line.get(row["line"], [])
        levels = {f["level"] for f in found}
        rows.append({
            "line": row["line"],
            "name": f"{row['cells'].get('prenom', '')} {row['cells'].get('nom', '')}".strip(),
            "level": "error" if "error" in levels else "warning" if levels else "ok",
            "findings": [(f["column"], checks.finding_message(f)) for f in found],
        })  # fmt: skip
    return rows


class CityPersonImportDetailView(CityPeopleRequiredMixin, TemplateView):
    """The preview while the import awaits a decision; the report once applied."""

    template_name = "imports/citypersonimport_detail.html"

    def get_context_data(self, **kwargs):
        run = _import_or_404(kwargs["pk"])
        context = super().get_context_data(**kwargs)
        context["run"] = run
        context["file_findings"] = [
            (f["level"], f["column"], checks.finding_message(f))
            for f in run.findings
            if f["line"] == 0
        ]
        context["rows"] = _preview_rows(run)
        context["ok_count"] = sum(1 for r in context["rows"] if r["level"] == "ok")
        context["apply_form"] = kwargs.get("apply_form") or forms.CityPersonImportApplyForm()
        if run.status == CityPersonImport.Status.APPLIED:
            report = run.report.get("rows", [])
            people = Staff.objects.select_related("account").in_bulk([r["staff"] for r in report])
            context["report"] = [(r, people.get(r["staff"])) for r in report]
        return context


class CityPersonImportApplyView(CityPeopleRequiredMixin, View):
    def post(self, request, pk: int):
        form = forms.CityPersonImportApplyForm(request.POST)
        form.is_valid()
        try:
            run = services.city_person_import_apply(
                import_id=pk,
                actor=request.user,
                approve_warnings=form.cleaned_data.get("approve_warnings", False),
            )
        except ApplicationError as exc:
            if exc.code == "missing":
                raise Http404 from exc
            messages.error(request, exc.message)
        else:
            if run.status == CityPersonImport.Status.APPLIED:
                messages.success(request, _("The file is applied."))
            else:
                messages.error(
                    request,
                    _("The directory changed since the check: nothing is applied. Read the "
                      "preview again."),
                )  # fmt: skip
        return redirect("imports:city-import", pk=pk)


class CityPersonImportDiscardView(CityPeopleRequiredMixin, View):
    def post(self, request, pk: int):
        try:
            services.city_person_import_discard(import_id=pk, actor=request.user)
        except ApplicationError as exc:
            if exc.code == "missing":
                raise Http404 from exc
            messages.error(request, exc.message)
            return redirect("imports:city-import", pk=pk)
        messages.success(request, _("The file is discarded: nothing was applied."))
        return redirect(reverse("imports:city-import-upload"))


class CityPersonImportFindingsCsvView(CityPeopleRequiredMixin, View):
    """The findings as a spreadsheet: line, level, column, code and message (no cell value)."""

    def get(self, request, pk: int):
        run = _import_or_404(pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-personnes-{run.pk}.csv"'
        response.write("\ufeff")  # spreadsheets then read the accents as UTF-8
        writer = csv_writer(response, delimiter=";")
        writer.writerow([_("Line"), _("Level"), _("Column"), _("Code"), _("Message")])
        levels = {"error": _("error"), "warning": _("warning")}
        for f in run.findings:
            writer.writerow([f["line"] or "", levels[f["level"]], f["column"], f["code"],
                             checks.finding_message(f)])  # fmt: skip
        return response
