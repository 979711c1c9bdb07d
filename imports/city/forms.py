"""Forms of the people outside the feed. The one-by-one form checks its values with the CSV's
row checks (imports/city/checks.py): one set of rules, whichever way a person comes in."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from imports.city import checks, csvfile
from schools.models import School, Staff

# The CSV's column behind each form field, to put a row finding under its field.
_FIELD_OF_COLUMN = {"nom": "last_name", "prenom": "first_name", "civilite": "civility",
                    "role": "role", "uai": "schools", "date_debut": "start_date",
                    "date_fin": "end_date", "email": "email"}  # fmt: skip


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CityPersonForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    civility = forms.CharField(label=_("Civility"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Staff.Role.choices)
    schools = forms.ModelMultipleChoiceField(
        label=_("Schools"),
        queryset=School.objects.filter(left_at__isnull=True).order_by("name"),
        help_text=_("One or several (Ctrl or Cmd and click, or Shift and the arrow keys)."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(
        label=_("End date"),
        widget=DateInput(),
        help_text=_("The account is deactivated the day after."),
    )
    email = forms.EmailField(label=_("E-mail (work)"), required=False, max_length=254)

    def __init__(self, *args, staff: Staff | None = None, **kwargs):
        self.staff = staff
        if staff is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "last_name": staff.last_name, "first_name": staff.first_name,
                "civility": staff.civility, "role": staff.role,
                "schools": [a.school_id for a in staff.assignments.all()],
                "start_date": staff.start_date, "end_date": staff.end_date, "email": staff.email,
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        self.values: dict = {}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cells = {
            "nom": cleaned["last_name"].strip(), "prenom": cleaned["first_name"].strip(),
            "civilite": cleaned.get("civility", "").strip(), "role": cleaned["role"],
            "uai": "|".join(s.uai for s in cleaned["schools"]),
            "date_debut": cleaned["start_date"].isoformat(),
            "date_fin": cleaned["end_date"].isoformat(), "email": cleaned.get("email", ""),
        }  # fmt: skip
        exclude = self.staff.pk if self.staff is not None else None
        [row] = checks.rows_check(
            [{"line": 1, "cells": cells}], today=timezone.localdate(), exclude_staff_id=exclude
        )
        for finding in row.findings:
            # One by one, a namesake entered already is an error: edit that person instead.
            if finding.level == checks.ERROR or finding.code == "updates-existing":
                self.add_error(_FIELD_OF_COLUMN.get(finding.column), finding.message)
        self.values = row.values
        return cleaned


class CityPersonImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: nom, prenom, role, uai, date_debut, date_fin (required), email, civilite, "
            "date_naissance (optional). UTF-8 or Windows-1252, “;” or “,” between cells."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        data = upload.read(csvfile.MAX_BYTES + 1)
        if len(data) > csvfile.MAX_BYTES:
            raise forms.ValidationError(
                checks.MESSAGES["too-large"] % {"max": csvfile.MAX_BYTES // 1024}
            )
        self.data_bytes = data
        return upload


class CityPersonImportApplyForm(forms.Form):
    approve_warnings = forms.BooleanField(
        label=_("I have read the warnings and approve them."), required=False
    )
