"""What the privacy pages share: the DPO check and private-file responses."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse

from privacy.permissions import is_dpo


def _private_file(field_file, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DpoRequiredMixin(LoginRequiredMixin):
    """The DPO's pages (`privacy.permissions.is_dpo`): anyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_dpo(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
