"""The DPO's request register (`/rgpd/`): list, detail, actions, exports, attachments."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.audit import Event, audit_objects
from entaix.common.exceptions import ApplicationError
from privacy import forms, selectors, services
from privacy.models import AccessExport, DataRequest
from privacy.services import export
from privacy.views.common import DpoRequiredMixin, _private_file


class DataRequestListView(DpoRequiredMixin, ListView):
    template_name = "privacy/request_list.html"
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


class DataRequestDetailView(DpoRequiredMixin, TemplateView):
    template_name = "privacy/request_detail.html"

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
                "verify": forms.VerifyForm(),
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
    if action == "verify":
        services.data_request_requester_verify(
            request=request, method=data["method"], actor=user, note=data["note"]
        )
        return _("Verification recorded.")
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
    if action == "revert":
        services.data_request_decision_revert(request=request, actor=user)
        return _("Decision reversed; its account locks are lifted.")
    if action == "export":
        export.access_export_create(request=request, actor=user)
        return _("Export built. Check it, then send the link.")
    raise Http404


class DataRequestActionView(DpoRequiredMixin, View):
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
            "verify": forms.VerifyForm,
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
        if action in ("export", "revert"):
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
            return redirect("privacy:request-detail", pk=item.pk)
        try:
            messages.success(request, _act(action, form, item, request.user))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("privacy:request-detail", pk=item.pk)


class ExportSendView(DpoRequiredMixin, View):
    def post(self, request, pk):
        item = get_object_or_404(AccessExport, pk=pk)
        try:
            export.access_export_send(export=item, actor=request.user)
            messages.success(request, _("The link is being e-mailed to the requester."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("privacy:request-detail", pk=item.request_id)


class ExportOpenView(DpoRequiredMixin, View):
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


class AttachmentView(DpoRequiredMixin, View):
    """The requester's document, for the DPO only; each opening is audited."""

    def get(self, request, pk):
        item = _request_or_404(pk)
        if not item.attachment:
            raise Http404

        audit_objects(
            event=Event.ATTACHMENT_DOWNLOADED, model=DataRequest, ids=[item.pk], actor=request.user
        )
        extension = services.ATTACHMENT_TYPES.get(item.attachment_type, "bin")
        return _private_file(
            item.attachment,
            filename=f"{item.reference}.{extension}",
            content_type=item.attachment_type or "application/octet-stream",
        )
