"""Data-protection pages.

Public (`/donnees-personnelles/`, no login): the privacy notice, the request form (rate-limited
per address), the expiring download of an access export.
DPO (`/rgpd/`, city staff only): the request register, the retention preview and legal holds,
purge receipts and destruction certificates, the audit trail search, the PII inventory.
Directors see the rectification tasks of their schools.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, ListView, TemplateView
from django_ratelimit.decorators import ratelimit

from accounts.mixins import CityStaffRequiredMixin
from accounts.models import User
from accounts.scope import Role, scope_for_user
from accounts.selectors import guardian_children
from entaix.common.exceptions import ApplicationError

from . import export, forms, inventory, retention, selectors, services
from .anonymise import certificate_text
from .models import AccessExport, DataRequest, LegalHold, PurgeRun, RectificationTask

SESSION_REFERENCE = "gdpr_request_reference"


def _private_file(field_file, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- public pages ------------------------------------------------------------------------------


class PrivacyNoticeView(TemplateView):
    template_name = "accounts/gdpr/privacy_notice.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(notice=export.privacy_notice(), **kwargs)


def _request_rate(group, request):
    return settings.GDPR_REQUEST_RATE_PER_IP


@method_decorator(never_cache, name="dispatch")
@method_decorator(
    ratelimit(group="gdpr-request", key="ip", rate=_request_rate, method="POST", block=False),
    name="post",
)
class DataRequestCreateView(FormView):
    """The public form. A logged-in guardian finds it filled in with what entaix knows."""

    template_name = "accounts/gdpr/request_form.html"
    form_class = forms.DataRequestForm

    def get_initial(self):
        user = self.request.user
        if not user.is_authenticated or user.kind != User.Kind.GUARDIAN:
            return {}
        initial = {
            "requester_name": user.get_full_name(),
            "requester_email": user.email,
            "relation": DataRequest.Relation.PARENT,
        }
        children = guardian_children(account=user)
        if len(children) == 1:
            child = children[0]
            initial.update(
                child_first_name=child.first_name,
                child_last_name=child.last_name,
                child_birth_date=child.birth_date,
                school=child.school_id,
            )
        return initial

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            return render(request, "accounts/rate_limited.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        user = self.request.user
        try:
            request = services.data_request_create(
                kind=data["kind"],
                requester_name=data["requester_name"],
                requester_email=data["requester_email"],
                requester_phone=data.get("requester_phone", ""),
                relation=data["relation"],
                child_first_name=data.get("child_first_name", ""),
                child_last_name=data.get("child_last_name", ""),
                child_birth_date=data.get("child_birth_date"),
                school=data.get("school"),
                message=data.get("message", ""),
                attachment=data.get("attachment"),
                attachment_type=data.get("attachment_type", ""),
                submitted_by=user if user.is_authenticated else None,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        self.request.session[SESSION_REFERENCE] = request.reference
        return redirect("privacy:request-done")


class DataRequestDoneView(TemplateView):
    template_name = "accounts/gdpr/request_done.html"

    def get(self, request, *args, **kwargs):
        reference = request.session.get(SESSION_REFERENCE)
        if not reference:
            return redirect("privacy:request-create")
        return self.render_to_response(self.get_context_data(reference=reference))


@method_decorator(never_cache, name="dispatch")
class ExportDownloadView(View):
    """The e-mailed link: a page with a button (link scanners never count as a delivery), then
    the archive. An expired, replaced or forged link shows why, with status 410 or 404."""

    template_name = "accounts/gdpr/export_download.html"

    def _refuse(self, request, exc: ApplicationError):
        status = 410 if exc.code == "expired" else 404
        return render(request, self.template_name, {"error": exc.message}, status=status)

    def get(self, request, token):
        try:
            item = export.access_export_from_token(token=token)
        except ApplicationError as exc:
            return self._refuse(request, exc)
        return render(request, self.template_name, {"export": item})

    def post(self, request, token):
        try:
            item = export.access_export_download(token=token)
        except ApplicationError as exc:
            return self._refuse(request, exc)
        return _private_file(
            item.file, filename=f"{item.request.reference}.zip", content_type="application/zip"
        )


# --- the register --------------------------------------------------------------------------------


class DataRequestListView(CityStaffRequiredMixin, ListView):
    template_name = "accounts/gdpr/request_list.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        state = self.request.GET.get("state", "open")
        kind = self.request.GET.get("kind", "")
        self.state = state if state in ("open", "closed", "all") else "open"
        self.kind = kind if kind in DataRequest.Kind.values else ""
        return selectors.data_request_list(state=self.state, kind=self.kind)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["rows"] = [
            (r, selectors.data_request_urgency(r, today=today)) for r in context["requests"]
        ]
        context.update(state=self.state, kind=self.kind, kinds=DataRequest.Kind.choices)
        return context


def _request_or_404(pk: int) -> DataRequest:
    try:
        return selectors.data_request_detail(pk=pk)
    except DataRequest.DoesNotExist as exc:
        raise Http404 from exc


class DataRequestDetailView(CityStaffRequiredMixin, TemplateView):
    template_name = "accounts/gdpr/request_detail.html"

    def get_context_data(self, **kwargs):
        request = _request_or_404(self.kwargs["pk"])
        subjects = selectors.data_request_subjects(request=request)
        candidates = selectors.data_request_candidates(request=request)
        fields_by_kind = {s.person_kind: _field_labels(s.person_kind) for s in subjects}
        today = timezone.localdate()
        return super().get_context_data(
            item=request,
            urgency=selectors.data_request_urgency(request, today=today),
            first_due=services.due_date(request.received_on),
            can_extend=request.is_open
            and request.extended_at is None
            and today <= services.due_date(request.received_on),
            subjects=subjects,
            candidates=candidates,
            notes=request.notes.select_related("author"),
            exports=request.exports.all(),
            rectifications=request.rectifications.select_related("school"),
            history=selectors.data_request_history(request=request),
            forms={
                "assign": forms.AssignForm(initial={"assignee": request.assignee_id}),
                "status": forms.StatusForm(),
                "extend": forms.ExtendForm(),
                "subjects": forms.SubjectsForm(candidates=candidates, subjects=subjects),
                "rectification": forms.RectificationForm(
                    subjects=subjects, fields_by_kind=fields_by_kind
                ),
                "decision": forms.DecisionForm(
                    initial={"decision": request.decision, "legal_ground": request.legal_ground}
                ),
                "close": forms.CloseForm(),
                "note": forms.NoteForm(),
            },
            **kwargs,
        )


def _field_labels(person_kind: str) -> list[tuple[str, str]]:
    model = selectors.PERSON_MODELS[person_kind]
    return [
        (
            name,
            _("ENT account e-mail (the person's own)")
            if name == services.ACCOUNT_EMAIL
            else str(model._meta.get_field(name).verbose_name),
        )
        for name in services.rectifiable_fields(person_kind)
    ]


def _act(action: str, form, request: DataRequest, user):
    data = form.cleaned_data
    if action == "assign":
        services.data_request_assign(request=request, assignee=data["assignee"], actor=user)
        return _("Assignee saved.")
    if action == "status":
        services.data_request_status_set(
            request=request, status=data["status"], actor=user, reason=data["reason"]
        )
        return _("Status saved.")
    if action == "extend":
        services.data_request_extend(request=request, reason=data["reason"], actor=user)
        return _("The request is extended; the requester is told by e-mail.")
    if action == "subjects":
        services.data_request_subjects_confirm(
            request=request,
            actor=user,
            guardian_id=data["guardian"] or None,
            pupil_ids=data["pupils"],
            staff_id=data["staff"] or None,
        )
        request.refresh_from_db()
        if request.flag:
            return _(
                "Flagged: the requester holds no parental authority over a child named. "
                "Nothing about that child will be disclosed."
            )
        return _("Subjects confirmed.")
    if action == "rectification":
        task = services.rectification_create(
            request=request,
            actor=user,
            person_kind=data["person_kind"],
            person_id=data["person_id"],
            field=data["field"],
            value=data["value"],
        )
        if task.direct:
            return _("Corrected directly.")
        return _("Task sent to the school director: correct it in ONDE.")
    if action == "decision":
        services.data_request_decide(
            request=request,
            actor=user,
            decision=data["decision"],
            legal_ground=data["legal_ground"],
        )
        return _("Decision recorded.")
    if action == "close":
        services.data_request_close(
            request=request, actor=user, status=data["status"], answer=data["answer"]
        )
        return _("Request closed.")
    if action == "note":
        services.data_request_note_add(request=request, actor=user, text=data["text"])
        return _("Note added.")
    if action == "export":
        export.access_export_create(request=request, actor=user)
        return _("Export built. Check it, then send the link.")
    raise Http404


class DataRequestActionView(CityStaffRequiredMixin, View):
    """One POST per action of the detail page: form, one service call, message, back."""

    def _form(self, action: str, request: DataRequest):
        post = self.request.POST
        simple = {
            "assign": forms.AssignForm,
            "status": forms.StatusForm,
            "extend": forms.ExtendForm,
            "decision": forms.DecisionForm,
            "close": forms.CloseForm,
            "note": forms.NoteForm,
        }
        if action in simple:
            return simple[action](post)
        if action == "subjects":
            candidates = selectors.data_request_candidates(request=request)
            return forms.SubjectsForm(post, candidates=candidates)
        if action == "rectification":
            subjects = selectors.data_request_subjects(request=request)
            fields = {s.person_kind: _field_labels(s.person_kind) for s in subjects}
            return forms.RectificationForm(post, subjects=subjects, fields_by_kind=fields)
        if action == "export":
            return forms.ConfirmForm(post)
        raise Http404

    def post(self, request, pk):
        item = _request_or_404(pk)
        action = request.POST.get("action", "")
        form = self._form(action, item)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("gdpr:request-detail", pk=item.pk)
        try:
            messages.success(request, _act(action, form, item, request.user))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("gdpr:request-detail", pk=item.pk)


class ExportSendView(CityStaffRequiredMixin, View):
    def post(self, request, pk):
        item = get_object_or_404(AccessExport, pk=pk)
        try:
            export.access_export_send(export=item, actor=request.user)
            messages.success(request, _("The link is being e-mailed to the requester."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("gdpr:request-detail", pk=item.request_id)


class ExportOpenView(CityStaffRequiredMixin, View):
    """The DPO checks the archive before sending it; recorded as a staff view."""

    def get(self, request, pk):
        item = get_object_or_404(AccessExport.objects.select_related("request"), pk=pk)
        try:
            export.access_export_staff_open(export=item, actor=request.user)
        except ApplicationError as exc:
            raise Http404 from exc
        return _private_file(
            item.file, filename=f"{item.request.reference}.zip", content_type="application/zip"
        )


class AttachmentView(CityStaffRequiredMixin, View):
    """The requester's document, for the DPO only; each opening is audited."""

    def get(self, request, pk):
        item = _request_or_404(pk)
        if not item.attachment:
            raise Http404
        from accounts.audit import Event, audit_objects

        audit_objects(
            event=Event.ATTACHMENT_DOWNLOADED, model=DataRequest, ids=[item.pk], actor=request.user
        )
        extension = services.ATTACHMENT_TYPES.get(item.attachment_type, "bin")
        return _private_file(
            item.attachment,
            filename=f"{item.reference}.{extension}",
            content_type=item.attachment_type or "application/octet-stream",
        )


# --- rectification tasks (directors and the DPO) --------------------------------------------------


class DirectorOrCityMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            scope = scope_for_user(request.user)
            if not (scope.is_city or Role.DIRECTOR in scope.roles):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RectificationListView(DirectorOrCityMixin, ListView):
    template_name = "accounts/gdpr/rectification_list.html"
    context_object_name = "tasks"
    paginate_by = 50

    def get_queryset(self):
        status = self.request.GET.get("status", RectificationTask.Status.OPEN)
        self.status = status if status in RectificationTask.Status.values else ""
        return selectors.rectification_tasks_for_user(user=self.request.user, status=self.status)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            status=self.status,
            statuses=RectificationTask.Status.choices,
            is_city=scope_for_user(self.request.user).is_city,
            **kwargs,
        )


class RectificationCancelView(CityStaffRequiredMixin, View):
    def post(self, request, pk):
        task = get_object_or_404(RectificationTask, pk=pk)
        try:
            services.rectification_cancel(task=task, actor=request.user)
            messages.success(request, _("Task cancelled."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("gdpr:request-detail", pk=task.request_id)


# --- retention, holds, purges -------------------------------------------------------------------


class RetentionPreviewView(CityStaffRequiredMixin, TemplateView):
    """Who will be purged when, and why: the rule and the date it is computed from."""

    template_name = "accounts/gdpr/retention_preview.html"

    def get_context_data(self, **kwargs):
        form = forms.RetentionPreviewForm(self.request.GET or None)
        today = timezone.localdate()
        due_only = False
        if form.is_valid():
            today = form.cleaned_data["today"] or today
            due_only = form.cleaned_data["due_only"]
        plan = retention.retention_plan(today=today)
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
    for kind, model in selectors.PERSON_MODELS.items():
        ids = [pk for k, pk in refs if k == kind]
        for pk, first, last in model.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name"
        ):
            result[(str(kind), pk)] = f"{first} {last}"
    return result


class LegalHoldListView(CityStaffRequiredMixin, TemplateView):
    template_name = "accounts/gdpr/legal_holds.html"

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
                return redirect("gdpr:hold-list")
            except ApplicationError as exc:
                form.add_error(None, exc.message)
        return self.render_to_response(self.get_context_data(form=form))


class LegalHoldLiftView(CityStaffRequiredMixin, View):
    def post(self, request, pk):
        hold = get_object_or_404(LegalHold, pk=pk)
        try:
            services.legal_hold_lift(hold=hold, actor=request.user)
            messages.success(request, _("Legal hold lifted."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("gdpr:hold-list")


class PurgeRunListView(CityStaffRequiredMixin, ListView):
    template_name = "accounts/gdpr/purge_list.html"
    context_object_name = "runs"
    paginate_by = 50

    def get_queryset(self):
        return selectors.purge_runs()


class PurgeRunDetailView(CityStaffRequiredMixin, TemplateView):
    template_name = "accounts/gdpr/purge_detail.html"

    def get_context_data(self, **kwargs):
        run = get_object_or_404(selectors.purge_runs(), pk=self.kwargs["pk"])
        certificate = certificate_text(run) if run.kind == PurgeRun.Kind.TERMINATION else ""
        return super().get_context_data(run=run, certificate=certificate, **kwargs)


# --- the audit trail and the inventory ---------------------------------------------------------


class AuditSearchView(CityStaffRequiredMixin, TemplateView):
    """Search the audit trail by person, actor, action and dates; 50 entries a page."""

    template_name = "accounts/gdpr/audit_search.html"

    def get_context_data(self, **kwargs):
        form = forms.AuditSearchForm(self.request.GET or None)
        search = selectors.AuditSearch()
        if form.is_valid():
            search = selectors.AuditSearch(**form.cleaned_data)
        entries = selectors.audit_entries_search(search=search)
        page = Paginator(entries, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            form=form, page_obj=page, entries=page.object_list, query=query.urlencode(), **kwargs
        )


class InventoryView(CityStaffRequiredMixin, TemplateView):
    template_name = "accounts/gdpr/inventory.html"

    def get_context_data(self, **kwargs):
        from django.apps import apps

        rows = []
        for label, fields in inventory.INVENTORY.items():
            model = apps.get_model(label)
            for name, info in fields.items():
                rows.append(
                    {
                        "model": model._meta.verbose_name,
                        "label": label,
                        "field": name,
                        "personal": info.personal,
                        "source": inventory.Source(info.source).label,
                        "retention": inventory.retention_text(info.rule),
                    }
                )
        return super().get_context_data(rows=rows, **kwargs)
