"""Public pages (`/donnees-personnelles/`, no login): the privacy notice, the request form
(rate-limited per address), the expiring download of an access export.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_ratelimit.decorators import ratelimit

from accounts.models import User
from accounts.selectors import guardian_children
from entaix.common.exceptions import ApplicationError
from privacy import forms, selectors, services
from privacy.models import DataRequest
from privacy.services import export
from privacy.views.common import _private_file

SESSION_REFERENCE = "gdpr_request_reference"


class PrivacyNoticeView(TemplateView):
    template_name = "privacy/privacy_notice.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(notice=selectors.privacy_notice(), **kwargs)


def _request_rate(group, request):
    return settings.GDPR_REQUEST_RATE_PER_IP


@method_decorator(never_cache, name="dispatch")
@method_decorator(
    ratelimit(group="gdpr-request", key="ip", rate=_request_rate, method="POST", block=False),
    name="post",
)
class DataRequestCreateView(FormView):
    """The public form. A logged-in guardian finds it filled in with what entaix knows."""

    template_name = "privacy/request_form.html"
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
    template_name = "privacy/request_done.html"

    def get(self, request, *args, **kwargs):
        reference = request.session.get(SESSION_REFERENCE)
        if not reference:
            return redirect("privacy:request-create")
        return self.render_to_response(self.get_context_data(reference=reference))


@method_decorator(never_cache, name="dispatch")
class ExportDownloadView(View):
    """The e-mailed link: a page with a button (link scanners never count as a delivery), then
    the archive. An expired, replaced or forged link shows why, with status 410 or 404."""

    template_name = "privacy/export_download.html"

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
