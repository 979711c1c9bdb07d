"""Forms of the data-protection pages: the public request form and the DPO's actions."""

from auditlog.models import LogEntry
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.audit import Event
from accounts.models import User
from schools.models import School

from .models import DataRequest, DataRequestSubject, PersonKind

# (leading bytes, MIME type, extensions): a file is what its content says, not its name.
MAGIC = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
)


def sniff(upload) -> str | None:
    """The MIME type from the first bytes of the file, or None if it is not PDF, PNG or JPEG."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = (upload.name or "").lower()
    for magic, content_type, extensions in MAGIC:
        if head.startswith(magic) and name.endswith(extensions):
            return content_type
    return None


class DataRequestForm(forms.Form):
    """The public form: who asks, about which child, what they ask, an optional document."""

    requester_name = forms.CharField(
        label=_("Your first and last name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We answer at this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    requester_phone = forms.CharField(
        label=_("Your phone (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    relation = forms.ChoiceField(label=_("You are"), choices=DataRequest.Relation.choices)
    kind = forms.ChoiceField(
        label=_("Your request"),
        choices=DataRequest.Kind.choices,
        widget=forms.RadioSelect,
    )
    child_first_name = forms.CharField(
        label=_("Child's first name"), max_length=150, required=False
    )
    child_last_name = forms.CharField(label=_("Child's last name"), max_length=150, required=False)
    child_birth_date = forms.DateField(
        label=_("Child's birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    school = forms.ModelChoiceField(
        label=_("Child's school"),
        queryset=School.objects.none(),
        required=False,
        empty_label=_("I don't know / another school"),
    )
    message = forms.CharField(
        label=_("Details of your request"),
        required=False,
        max_length=5000,
        help_text=_(
            "For a rectification: what is wrong and the right value. For an opposition or an "
            "erasure: the reasons."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachment = forms.FileField(
        label=_("A document (optional)"),
        required=False,
    )
    # A field people never see: robots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(
            ent_open=True, left_at__isnull=True
        ).order_by("name")
        self.fields["attachment"].help_text = _(
            "PDF, JPEG or PNG, %(mb)s MB at most. Only if we ask for one, or to support a "
            "rectification."
        ) % {"mb": settings.GDPR_ATTACHMENT_MAX_MB}

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Leave this field empty."))
        return ""

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        limit = settings.GDPR_ATTACHMENT_MAX_MB * 1024 * 1024
        if upload.size > limit:
            raise ValidationError(
                _("The file is too large: %(mb)s MB at most.")
                % {"mb": settings.GDPR_ATTACHMENT_MAX_MB},
                code="too-large",
            )
        content_type = sniff(upload)
        if content_type is None:
            raise ValidationError(
                _("This type of file is not accepted: send a PDF, a JPEG or a PNG."),
                code="type",
            )
        self.cleaned_data["attachment_type"] = content_type
        return upload

    def clean(self):
        data = super().clean()
        if data.get("relation") == DataRequest.Relation.PARENT:
            for name in ("child_first_name", "child_last_name", "child_birth_date"):
                if not data.get(name):
                    self.add_error(name, _("Needed to find your child's data."))
        if (
            data.get("kind") not in (None, "", DataRequest.Kind.ACCESS)
            and not data.get("message", "").strip()
        ):
            self.add_error("message", _("Tell us what you ask, and why."))
        return data


class ConfirmForm(forms.Form):
    """An action without fields (the CSRF token is the whole form)."""


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        from .selectors import city_staff_accounts

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = city_staff_accounts()


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (DataRequest.Status.IDENTITY_CHECK, DataRequest.Status.IDENTITY_CHECK.label),
            (DataRequest.Status.IN_PROGRESS, DataRequest.Status.IN_PROGRESS.label),
        ],
    )
    reason = forms.CharField(
        label=_("Reasonable doubt about the identity (for an identity check)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the request needs more time (sent to the requester)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SubjectsForm(forms.Form):
    """Who the request is about, among the candidates shown (the DPO decides)."""

    guardian = forms.TypedChoiceField(label=_("Requester (guardian)"), coerce=int, required=False)
    pupils = forms.TypedMultipleChoiceField(
        label=_("Children"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    staff = forms.TypedChoiceField(label=_("Requester (staff)"), coerce=int, required=False)

    def __init__(self, *args, candidates, subjects=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Shown checked: the persons confirmed already, else the proposal when it is exact.
        # Nothing is confirmed until the DPO submits.
        if subjects:
            self.initial = {
                "guardian": next((s.guardian_id for s in subjects if s.guardian_id), None),
                "staff": next((s.staff_id for s in subjects if s.staff_id), None),
                "pupils": [s.pupil_id for s in subjects if s.pupil_id],
            }
        elif candidates.state == "exact":
            self.initial = {
                "guardian": next(
                    (g.guardian.pk for g in candidates.guardians if g.identified), None
                ),
                "staff": next((c.staff.pk for c in candidates.staff), None),
                "pupils": [c.pupil.pk for c in candidates.pupils if c.named],
            }
        self.fields["guardian"].choices = [("", "—")] + [
            (c.guardian.pk, f"{c.guardian} (#{c.guardian.pk})") for c in candidates.guardians
        ]
        self.fields["pupils"].choices = [
            (c.pupil.pk, f"{c.pupil} (#{c.pupil.pk})") for c in candidates.pupils
        ]
        self.fields["staff"].choices = [("", "—")] + [
            (c.staff.pk, f"{c.staff} (#{c.staff.pk})") for c in candidates.staff
        ]


class VerifyForm(forms.Form):
    """How the requester was tied to the confirmed person (never by their name)."""

    method = forms.ChoiceField(
        label=_("Verification"), choices=DataRequestSubject.Verification.choices
    )
    note = forms.CharField(
        label=_("Document checked, or where the person was seen"),
        max_length=200,
        required=False,
    )


class RectificationForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"))
    field = forms.ChoiceField(label=_("Field"))
    value = forms.CharField(label=_("Correct value"), max_length=500)

    def __init__(self, *args, subjects, fields_by_kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [
            (f"{s.person_kind}:{s.person.pk}", f"{s.person} ({s.get_person_kind_display()})")
            for s in subjects
            if s.person is not None
        ]
        labels = {}
        for names in fields_by_kind.values():
            for name, label in names:
                labels.setdefault(name, label)
        self.fields["field"].choices = [("", "—"), *labels.items()]

    def clean(self):
        data = super().clean()
        person = data.get("person", "")
        if ":" in person:
            kind, pk = person.split(":", 1)
            data["person_kind"], data["person_id"] = kind, int(pk)
        return data


class DecisionForm(forms.Form):
    # No default: the DPO picks each one.
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("", "—"), *(c for c in DataRequest.Decision.choices if c[0])]
    )
    legal_ground = forms.ChoiceField(
        label=_("Legal ground"),
        choices=[("", "—"), *(c for c in DataRequest.LegalGround.choices if c[0])],
    )


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("", "—"),
            (DataRequest.Status.ANSWERED, DataRequest.Status.ANSWERED.label),
            (DataRequest.Status.REJECTED, DataRequest.Status.REJECTED.label),
        ],
    )
    answer = forms.CharField(
        label=_("Answer sent to the requester"), widget=forms.Textarea(attrs={"rows": 4})
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}))


class LegalHoldForm(forms.Form):
    person_kind = forms.ChoiceField(label=_("Person kind"), choices=PersonKind.choices)
    person_id = forms.IntegerField(label=_("Person number"), min_value=1)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AuditSearchForm(forms.Form):
    person = forms.CharField(
        label=_("Person"),
        required=False,
        max_length=150,
        help_text=_("A name, a login, or pupil:12 / guardian:34 / staff:56."),
    )
    actor = forms.CharField(label=_("Actor (login)"), required=False, max_length=64)
    action = forms.ChoiceField(label=_("Action or event"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", _("any")),
            *[(str(value), label) for value, label in LogEntry.Action.choices],
            *[(str(event), str(event)) for event in Event],
        ]


class RetentionPreviewForm(forms.Form):
    today = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_only = forms.BooleanField(label=_("Due only"), required=False)
