from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from oidc.models import Client
from oidc.scopes import CONVENTION_ONLY, SCOPES


class ClientForm(forms.Form):
    """What city staff say about a service: its name, addresses, scopes, trust."""

    name = forms.CharField(label=_("Name of the service"), max_length=255)
    redirect_uris = forms.CharField(
        label=_("Redirect addresses"),
        help_text=_("One per line: the exact addresses the service gets people back on."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    post_logout_redirect_uris = forms.CharField(
        label=_("Addresses after logging out"),
        required=False,
        help_text=_("One per line; may stay empty."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_type = forms.ChoiceField(
        label=_("Kind of service"),
        choices=[
            (Client.CLIENT_CONFIDENTIAL, _("a server (it keeps a secret)")),
            (Client.CLIENT_PUBLIC, _("an app on a phone or in a browser (no secret)")),
        ],
        initial=Client.CLIENT_CONFIDENTIAL,
    )
    allowed_scopes = forms.MultipleChoiceField(
        label=_("What it may receive"),
        choices=[(name, format_lazy("{} — {}", name, text)) for name, text in SCOPES.items()],
        initial=["openid", "profile"],
        widget=forms.CheckboxSelectMultiple,
    )
    skip_authorization = forms.BooleanField(
        label=_("Trusted city service: people are not asked for their consent"), required=False
    )
    aaf_convention = forms.BooleanField(
        label=_("Works on the same AAF data under the convention (the ENT itself)"),
        required=False,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_redirect_uris(self) -> str:
        return " ".join(self.cleaned_data["redirect_uris"].split())

    def clean_post_logout_redirect_uris(self) -> str:
        return " ".join(self.cleaned_data["post_logout_redirect_uris"].split())

    def clean(self):
        cleaned = super().clean()
        scopes = cleaned.get("allowed_scopes") or []
        if "openid" not in scopes:
            self.add_error("allowed_scopes", _("The openid scope is required."))
        if set(scopes) & CONVENTION_ONLY and not cleaned.get("aaf_convention"):
            self.add_error(
                "allowed_scopes",
                _("The aaf scope is only for a service working under the AAF convention."),
            )
        if cleaned.get("allowed_scopes") is not None:
            cleaned["allowed_scopes"] = " ".join(scopes)
        return cleaned

    @classmethod
    def initial_for(cls, client: Client) -> dict:
        return {
            "name": client.name,
            "redirect_uris": "\n".join(client.redirect_uris.split()),
            "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris.split()),
            "client_type": client.client_type,
            "allowed_scopes": client.scope_list,
            "skip_authorization": client.skip_authorization,
            "aaf_convention": client.aaf_convention,
            "is_active": client.is_active,
        }


def model_errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """The model's own checks (the toolkit's redirect URI validation) on the form's fields."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
