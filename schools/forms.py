from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SchoolOpenForm(forms.Form):
    opened_on = forms.DateField(
        label=_("Opening date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
