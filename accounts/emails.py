"""E-mails about accounts, composed and sent from a task (never while a page waits on SMTP).

Messages name no person: a link, a login when it is the recipient's own, nothing else; the
forgotten-login message adds the first names of the recipient's own children, so that a parent
with several accounts knows which login is for which child.
"""

import logging

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import RenewalRequest, User
from accounts.selectors import login_reminder_lines, renewal_recipients

logger = logging.getLogger(__name__)


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Single use: the token covers the address and its confirmation time, which it changes."""

    key_salt = "entaix.accounts.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        confirmed = user.email_confirmed_at.isoformat() if user.email_confirmed_at else ""
        return f"{user.pk}{user.email}{confirmed}{user.is_active}{timestamp}"


email_confirmation_token = EmailConfirmationTokenGenerator()


def _site(path: str) -> str:
    return settings.ENT_SITE_URL.rstrip("/") + path


def _send(template: str, context: dict, to: list[str]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{template}_body.txt", context)
    EmailMessage(subject=subject, body=body, to=to).send()


def password_reset_email_send(*, account_id: int) -> bool:
    account = User.objects.filter(pk=account_id, is_active=True).first()
    if account is None or not account.has_confirmed_email:
        return False
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    link = _site(reverse("account:password-reset", args=[uid, token]))
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    _send("password_reset", {"login": account.login, "link": link, "hours": hours}, [account.email])
    logger.info("password reset link sent to account %s", account.pk)
    return True


def login_reminder_send(*, account_ids: list[int]) -> bool:
    """One message to the address these accounts confirmed, listing their logins; nothing when
    there is none (the forgotten-login page queues this task whatever the address)."""
    accounts = list(
        User.objects.filter(pk__in=account_ids, is_active=True, email_confirmed_at__isnull=False)
        .exclude(email="")
        .order_by("pk")
    )
    if not accounts:
        return False
    address = accounts[0].email
    # Only the accounts that still hold this very address (one may have changed it since).
    accounts = [account for account in accounts if account.email.lower() == address.lower()]
    context = {
        "accounts": login_reminder_lines(accounts=accounts),
        "login_link": _site(reverse("accounts:login")),
        "password_link": _site(reverse("account:password-forgot")),
    }
    _send("login_reminder", context, [address])
    logger.info("login reminder sent to accounts %s", [account.pk for account in accounts])
    return True


def city_staff_invitation_link(account: User) -> str:
    """The one-time link of an invitation: Django's password-reset token, which the chosen
    password spends (and PASSWORD_RESET_TIMEOUT ends)."""
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    return _site(reverse("account:password-reset", args=[uid, token]))


def city_staff_invitation_send(*, account_id: int) -> bool:
    account = User.objects.filter(pk=account_id, is_active=True, kind=User.Kind.CITY).first()
    if account is None or not account.email or account.has_usable_password():
        return False
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    context = {"login": account.login, "link": city_staff_invitation_link(account), "hours": hours}
    _send("city_staff_invitation", context, [account.email])
    logger.info("city staff invitation sent to account %s", account.pk)
    return True


def email_confirmation_send(*, account_id: int) -> bool:
    account = User.objects.filter(pk=account_id, is_active=True).first()
    if account is None or not account.email or account.email_confirmed_at:
        return False
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = email_confirmation_token.make_token(account)
    link = _site(reverse("account:email-confirm", args=[uid, token]))
    _send("email_confirm", {"login": account.login, "link": link}, [account.email])
    logger.info("e-mail confirmation sent to account %s", account.pk)
    return True


def renewal_request_notify(*, request_id: int) -> int:
    """E-mail every teacher (or director) in whose queue the request landed; returns how many."""
    request = RenewalRequest.objects.filter(
        pk=request_id, status=RenewalRequest.Status.OPEN
    ).first()
    if request is None:
        return 0
    link = _site(reverse("accounts:renewal-list"))
    sent = 0
    for staff_account_id, address in renewal_recipients(account=request.account):
        if not address:
            continue
        _send("renewal_request", {"link": link}, [address])
        logger.info("renewal request %s notified to account %s", request.pk, staff_account_id)
        sent += 1
    return sent


def renewal_request_handled_notify(*, request_ids: list[int]) -> int:
    """Tell the other staff told of a request that a colleague handed the slip; returns how many
    e-mails were sent. The message names the colleague's login, never the family."""
    link = _site(reverse("accounts:renewal-list"))
    sent = 0
    handled = RenewalRequest.objects.filter(
        pk__in=request_ids, status=RenewalRequest.Status.DONE
    ).select_related("account", "handled_by")
    for request in handled:
        handler = request.handled_by
        context = {"link": link, "handler": handler.login if handler else "—"}
        for staff_account_id, address in renewal_recipients(account=request.account):
            if not address or staff_account_id == request.handled_by_id:
                continue
            _send("renewal_handled", context, [address])
            logger.info(
                "renewal request %s: handled, told account %s", request.pk, staff_account_id
            )
            sent += 1
    return sent
