import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from schools.kinds import PersonKind

from . import lockout, mfa, services
from .models import LetterBatch, User, UserManager
from .selectors import account_for_activation


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Login"),
        max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    otp_token = forms.CharField(
        label=_("Two-factor code"),
        required=False,
        max_length=16,
        help_text=_(
            "Only if two-factor authentication is on for your account: the 6-digit code of "
            "your app, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
            }
        ),
    )

    error_messages = {
        # One message for every failure: it never tells whether the login exists, nor whether
        # the password was right when the second factor is missing or wrong.
        "invalid_login": _("Login or password incorrect."),
        "inactive": _("Login or password incorrect."),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and mfa.has_second_factor(user):
            device = services.mfa_verify(account=user, token=cleaned.get("otp_token", ""))
            if device is None:
                # Counted against the account's lockout, exactly as a wrong password.
                lockout.login_failure_record(self.request, user.login)
                self.user_cache = None
                raise self.get_invalid_login_error()
            # django-otp marks the session verified when the login completes.
            user.otp_device = device
        return cleaned


class MfaConfirmForm(forms.Form):
    device = forms.IntegerField(widget=forms.HiddenInput)
    token = forms.CharField(
        label=_("Code shown by the app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ActivationForm(SetPasswordMixin, forms.Form):
    """The parents' leaflet, step by step: login and code, password twice, e-mail, terms.

    Every error is reported at once. A wrong code, an expired one, an unknown or deactivated
    login all give the same message: the form never tells whether a login exists.
    """

    login = forms.CharField(
        label=_("Login"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    code = forms.CharField(
        label=_("Activation code"),
        max_length=32,
        help_text=_("As printed on the letter from the school, e.g. ABCDE-FGH23."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("Choose a password"), label2=_("Type the password again")
    )
    email = forms.EmailField(
        label=_("E-mail address (optional)"),
        required=False,
        help_text=_(
            "Used only to recover a forgotten password, once you confirm it from the message "
            "we send to it."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    accept_terms = forms.BooleanField(label=_("I have read and accept the terms of use"))

    error_messages = {
        **SetPasswordMixin.error_messages,
        "invalid_activation": _("Login or activation code incorrect, or the code has expired."),
    }

    def clean(self):
        cleaned = super().clean()
        login, code = cleaned.get("login", ""), cleaned.get("code", "")
        self.account = None
        if login and code:
            self.account = account_for_activation(login=login, code=code)
            if self.account is None:
                self.add_error(
                    None,
                    ValidationError(
                        self.error_messages["invalid_activation"], code="invalid_activation"
                    ),
                )
        self.validate_passwords("password1", "password2")
        # Names are compared only once the code proved who is typing.
        probe = User(
            login=UserManager.normalize_login(login),
            first_name=self.account.first_name if self.account else "",
            last_name=self.account.last_name if self.account else "",
            email=cleaned.get("email", ""),
        )
        self.validate_password_for_user(probe, "password1")
        return cleaned


class PasswordForgotForm(forms.Form):
    identifier = forms.CharField(
        label=_("Login or e-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


class LoginForgotForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Leave empty to remove it. A new address must be confirmed before use."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class IdListField(forms.Field):
    """Many ids from repeated form fields (checkboxes), de-duplicated and sorted."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("The selection is not valid.")}
    max_items = 2000

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if len(ids) > self.max_items or any(i <= 0 for i in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class SelectionForm(forms.Form):
    ids = IdListField(error_messages={"required": _("Select at least one line.")})


class ClassLettersForm(forms.Form):
    audience = forms.ChoiceField(
        choices=[(PersonKind.GUARDIAN, _("guardians")), (PersonKind.PUPIL, _("pupils"))],
        initial=PersonKind.GUARDIAN,
    )


class LetterBatchForm(forms.Form):
    """A batch over a school (the director's or city's page) or one of its classes."""

    school_class = forms.ModelChoiceField(
        label=_("Class"),
        queryset=None,
        required=False,
        empty_label=_("Every class of the school"),
    )
    profile = forms.ChoiceField(
        label=_("Letters for"), choices=LetterBatch.Profile.choices, initial="guardian"
    )
    filter = forms.ChoiceField(
        label=_("Accounts"),
        choices=LetterBatch.Filter.choices,
        initial=LetterBatch.Filter.NOT_ACTIVATED,
    )
    layout = forms.ChoiceField(
        label=_("Layout"), choices=LetterBatch.Layout.choices, initial=LetterBatch.Layout.LETTER
    )

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes


class CityStaffInviteForm(forms.Form):
    """A new city-staff account: who, their work e-mail (the invitation goes there), their role."""

    login = forms.CharField(
        label=_("Login"),
        max_length=64,
        help_text=_("Lower-case letters, digits, dots and hyphens."),
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9.\-]*$",
                message=_("Lower-case letters, digits, dots and hyphens."),
                flags=re.IGNORECASE,
            )
        ],
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Work e-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=User.CityRole.choices)

    def clean_login(self) -> str:
        login = UserManager.normalize_login(self.cleaned_data["login"])
        if User.objects.filter(login__iexact=login).exists():
            raise ValidationError(_("This login is already taken."))
        return login
