from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Login"),
        max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        # One message for every failure: it never tells whether the login exists.
        "invalid_login": _("Login or password incorrect."),
        "inactive": _("Login or password incorrect."),
    }
