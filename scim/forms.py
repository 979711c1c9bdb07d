from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from schools.models import School

from .models import ScimClient


def _schools():
    return School.objects.filter(left_at__isnull=True).order_by("name")


class ScimClientForm(forms.Form):
    """A service connected over SCIM: its name and the schools whose people it receives."""

    name = forms.CharField(label=_("Name of the service"), max_length=100)
    schools = forms.ModelMultipleChoiceField(
        label=_("Schools it serves"),
        queryset=_schools(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("It receives only the people and classes of these schools, while open."),
    )

    def __init__(self, *args, client: ScimClient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["schools"].queryset = _schools()
        if client is not None:
            del self.fields["name"]
            self.fields["is_active"] = forms.BooleanField(
                label=_("Active (its token works)"), required=False
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if ScimClient.objects.filter(name__iexact=name).exists():
            raise ValidationError(_("A service with this name exists already."))
        return name
