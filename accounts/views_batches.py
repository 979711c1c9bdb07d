"""Letter batches over a school or a class: ask, follow the progress, download, retry.

The batch is built by the worker; its page shows the progress (our own `static/js/letter_batch.js`
polls the status, a refresh link does the same without JavaScript), then an expiring download
link. Only who asked sees a batch; every school and class comes through `accounts.scope`.
"""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from entaix.common.exceptions import ApplicationError

from . import selectors, services
from .forms import LetterBatchForm
from .mixins import ScopedMixin
from .models import LetterBatch
from .scope import classes_for_user, get_in_scope_or_404, schools_for_user
from .views_staff import _back

_SALT = "accounts.letter-batch-download"
_RUNNING = (LetterBatch.Status.PENDING, LetterBatch.Status.RUNNING)


def download_token(batch: LetterBatch) -> str:
    return signing.dumps({"b": batch.pk, "f": batch.file.name}, salt=_SALT)


def _batch_or_404(user, pk: int) -> LetterBatch:
    return get_in_scope_or_404(
        LetterBatch.objects.filter(requested_by=user).select_related("school", "school_class"),
        pk=pk,
    )


def _classes(user, school):
    return (
        classes_for_user(user).filter(school=school, left_at__isnull=True).order_by("kind", "name")
    )


class SchoolLettersView(ScopedMixin, TemplateView):
    """A director's (or the city's) page: a batch for the whole school or one class."""

    template_name = "accounts/school_letters.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        school = get_in_scope_or_404(
            selectors.directed_schools_for_user(user=user), uai=self.kwargs["uai"]
        )
        return super().get_context_data(
            school=school,
            form=kwargs.pop("form", None) or LetterBatchForm(classes=_classes(user, school)),
            batches=LetterBatch.objects.filter(requested_by=user, school=school)[:10],
            **kwargs,
        )


class LetterBatchCreateBackgroundView(ScopedMixin, View):
    def post(self, request):
        school = get_in_scope_or_404(
            schools_for_user(request.user), uai=request.POST.get("school", "")
        )
        form = LetterBatchForm(request.POST, classes=_classes(request.user, school))
        back = reverse("accounts:account-index")
        if not form.is_valid():
            messages.error(request, _("The batch is not valid: check the class and options."))
            return _back(request, back)
        try:
            batch = services.letter_batch_request(
                actor=request.user,
                school=school,
                school_class=form.cleaned_data["school_class"],
                profile=form.cleaned_data["profile"],
                batch_filter=form.cleaned_data["filter"],
                layout=form.cleaned_data["layout"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back(request, back)
        return redirect("accounts:letter-batch", pk=batch.pk)


class LetterBatchDetailView(ScopedMixin, TemplateView):
    template_name = "accounts/letter_batch.html"

    def get_context_data(self, **kwargs):
        batch = _batch_or_404(self.request.user, self.kwargs["pk"])
        link = ""
        if batch.status == LetterBatch.Status.DONE and batch.file.name:
            link = reverse("accounts:letter-batch-download", args=[batch.pk, download_token(batch)])
        return super().get_context_data(batch=batch, download_url=link, **kwargs)


class LetterBatchStatusView(ScopedMixin, View):
    """What the page's script polls: status, progress, and where to go once it is built."""

    def get(self, request, pk: int):
        batch = _batch_or_404(request.user, pk)
        response = JsonResponse(
            {
                "status": batch.status,
                "status_label": str(batch.get_status_display()),
                "progress": batch.progress,
                "count": batch.count,
                "percent": batch.percent,
                "finished": batch.status not in _RUNNING,
            }
        )
        response["Cache-Control"] = "no-store, private"
        return response


class LetterBatchRetryView(ScopedMixin, View):
    def post(self, request, pk: int):
        batch = _batch_or_404(request.user, pk)
        try:
            services.letter_batch_retry(batch=batch, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("accounts:letter-batch", pk=batch.pk)


class LetterBatchDownloadView(ScopedMixin, View):
    """The PDF, for who asked, through a signed link that expires with the file."""

    def get(self, request, pk: int, token: str):
        batch = _batch_or_404(request.user, pk)
        try:
            data = signing.loads(token, salt=_SALT, max_age=settings.LETTER_BATCH_KEEP_HOURS * 3600)
        except signing.BadSignature as exc:  # also SignatureExpired
            raise Http404 from exc
        if (
            data.get("b") != batch.pk
            or batch.status != LetterBatch.Status.DONE
            or not batch.file.name
            or data.get("f") != batch.file.name
            or batch.expires_at is None
            or batch.expires_at <= timezone.now()
        ):
            raise Http404
        response = FileResponse(
            batch.file.open("rb"),
            as_attachment=True,
            filename=f"lettres-ent-{batch.pk}.pdf",
            content_type="application/pdf",
        )
        # The letters carry activation codes: no cache anywhere keeps a copy.
        response["Cache-Control"] = "no-store, private"
        return response
