"""Writes on ENT accounts: sync with the directory, activation codes, activation, recovery,
staff resets and activation letters. Each function runs in a transaction and is audited.
"""

import logging
import secrets
from collections.abc import Iterable, Sequence
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import codes, selectors, tasks
from accounts.audit import Event, audit_accounts
from accounts.letters import Letter, letters_render
from accounts.logins import LoginAllocator
from accounts.models import ActivationCode, LetterBatch, RenewalRequest, User, UserManager
from entaix.common.db import bulk_insert, bulk_set
from entaix.common.exceptions import ApplicationError
from schools.models import Guardian, GuardianLink, Pupil, Staff, StaffAssignment

logger = logging.getLogger(__name__)

BATCH = 2000
INVALID_ACTIVATION = _("Login or activation code incorrect, or the code has expired.")


def _chunks(items: Sequence, size: int = BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- accounts for the directory's persons -------------------------------------------------


def _persons() -> list[tuple[type, str, Q]]:
    """(model, account kind, who is entitled to an active account) for each kind of person.

    - a pupil: present, in a present school where the ENT is open;
    - a guardian: present, with at least one present link carrying parental authority
      (legal 1 or 2) to a present pupil of an open school. Contacts without authority (legal 0)
      get no account, so they can never receive an activation letter;
    - staff: present, assigned to a present school where the ENT is open.
    """
    open_school = {"ent_open": True, "left_at__isnull": True}
    # EXISTS, not IN: negated (who is no longer entitled), NOT IN over a subquery larger than
    # work_mem is re-scanned for every row, and a doubled feed made that query run for minutes.
    authority = Exists(
        GuardianLink.objects.filter(
            guardian_id=OuterRef("pk"),
            left_at__isnull=True,
            legal__gt=0,
            pupil__left_at__isnull=True,
            pupil__school__ent_open=True,
            pupil__school__left_at__isnull=True,
        )
    )
    assigned = Exists(
        StaffAssignment.objects.filter(
            staff_id=OuterRef("pk"), **{f"school__{k}": v for k, v in open_school.items()}
        )
    )
    return [
        (
            Pupil,
            User.Kind.PUPIL,
            Q(left_at__isnull=True, **{f"school__{k}": v for k, v in open_school.items()}),
        ),
        (Guardian, User.Kind.GUARDIAN, Q(authority, left_at__isnull=True)),
        (Staff, User.Kind.STAFF, Q(assigned, left_at__isnull=True)),
    ]


def _missing_accounts(model, entitled: Q) -> Iterable[list[tuple[int, str, str]]]:
    """Entitled persons without an account, a page at a time (by id: a first import has
    hundreds of thousands)."""
    after = 0
    while page := list(
        model.objects.filter(entitled, account__isnull=True, pk__gt=after)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name")[:BATCH]
    ):
        yield page
        after = page[-1][0]


def _unusable_password() -> str:
    """What make_password(None) gives (unusable, unique per account, so reset tokens differ),
    from one CSPRNG read instead of forty: it runs for every new account of an import."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _set_active(account_ids: list[int], active: bool) -> None:
    for chunk in _chunks(account_ids):
        User.objects.filter(pk__in=chunk).update(is_active=active)


@transaction.atomic
def account_sync(*, run_id: int | None = None) -> dict[str, int]:
    """Bring ENT accounts in line with the directory, in bulk; call after each import apply.

    Creates an account (unusable password, names copied, login `prenom.nom[N]`) for each entitled
    person without one; deactivates — never deletes — the accounts of persons no longer entitled
    (left the feed, school closed, authority withdrawn); reactivates those of persons entitled
    again; copies renamed persons' names (the login never changes). A second call changes
    nothing and writes nothing: 12 reads.
    """
    created: list[int] = []
    deactivated: list[int] = []
    reactivated: list[int] = []
    renamed: list[User] = []
    allocator = None
    for model, kind, entitled in _persons():
        for chunk in _missing_accounts(model, entitled):
            if allocator is None:
                # Every login taken, at once: homonym numbers are then found without a query.
                allocator = LoginAllocator(User.objects.values_list("login", flat=True))
            user_ids = bulk_insert(
                User,
                (
                    {
                        "login": allocator.allocate(first, last),
                        "kind": kind,
                        "first_name": first,
                        "last_name": last,
                        "password": _unusable_password(),
                    }
                    for _pk, first, last in chunk
                ),
            )
            bulk_set(
                model,
                "account",
                [(pk, user_id) for (pk, _f, _l), user_id in zip(chunk, user_ids, strict=True)],
            )
            created.extend(user_ids)
        deactivated += (
            model.objects.filter(account__is_active=True)
            .exclude(entitled)
            .values_list("account_id", flat=True)
        )
        reactivated += model.objects.filter(entitled, account__is_active=False).values_list(
            "account_id", flat=True
        )
        renamed += [
            User(pk=account_id, first_name=first, last_name=last)
            for account_id, first, last in model.objects.filter(account__isnull=False)
            .exclude(first_name=F("account__first_name"), last_name=F("account__last_name"))
            .values_list("account_id", "first_name", "last_name")
        ]
    _set_active(deactivated, False)
    _set_active(reactivated, True)
    if renamed:
        User.objects.bulk_update(renamed, ["first_name", "last_name"], batch_size=BATCH)
    data = {"run": run_id}
    audit_accounts(event=Event.ACCOUNT_CREATED, account_ids=created, data=data)
    audit_accounts(event=Event.ACCOUNT_DEACTIVATED, account_ids=deactivated, data=data)
    audit_accounts(event=Event.ACCOUNT_REACTIVATED, account_ids=reactivated, data=data)
    counts = {
        "created": len(created),
        "deactivated": len(deactivated),
        "reactivated": len(reactivated),
    }
    logger.info("account sync (run %s): %s, %s renamed", run_id, counts, len(renamed))
    return counts


# --- activation codes ---------------------------------------------------------------------


def _codes_for(
    *, account_ids: Sequence[int], actor, regenerate: bool
) -> dict[int, tuple[str, object]]:
    """{account id: (code, expires_at)}: the live code when there is one, else a new one.

    With `regenerate`, every account gets a new code and its old one stops working at once.
    """
    now = timezone.now()
    # Lock the accounts first (in id order): two letters printed at once for the same account
    # wait for each other instead of both creating a code.
    list(User.objects.select_for_update().filter(pk__in=account_ids).order_by("pk").values("pk"))
    existing = {c.account_id: c for c in ActivationCode.objects.filter(account_id__in=account_ids)}
    expires_at = codes.code_expiry(now=now)
    result: dict[int, tuple[str, object]] = {}
    fresh, replaced = [], []
    for account_id in account_ids:
        record = existing.get(account_id)
        if record is not None and not regenerate and record.expires_at > now:
            result[account_id] = (codes.code_decrypt(record.ciphertext), record.expires_at)
            continue
        code = codes.code_generate()
        values = {
            "digest": codes.code_digest(account_id=account_id, code=code),
            "ciphertext": codes.code_encrypt(code),
            "expires_at": expires_at,
            "issued_by": actor if getattr(actor, "pk", None) else None,
        }
        if record is None:
            fresh.append(ActivationCode(account_id=account_id, **values))
        else:
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = now
            replaced.append(record)
        result[account_id] = (code, expires_at)
    ActivationCode.objects.bulk_create(fresh, batch_size=BATCH)
    ActivationCode.objects.bulk_update(
        replaced,
        ["digest", "ciphertext", "expires_at", "issued_by", "updated_at"],
        batch_size=BATCH,
    )
    audit_accounts(event=Event.CODE_ISSUED, account_ids=[c.account_id for c in fresh], actor=actor)
    audit_accounts(
        event=Event.CODE_REGENERATED, account_ids=[c.account_id for c in replaced], actor=actor
    )
    return result


@transaction.atomic
def activation_code_regenerate(*, account: User, actor=None) -> str:
    """A new code for a not-yet-activated account; the old code stops working at once.

    The clear code is returned for immediate printing only; it is never stored in clear.
    """
    if not account.is_active or account.has_usable_password():
        raise ApplicationError(_("This account is already activated."), code="activated")
    code, _expires = _codes_for(account_ids=[account.pk], actor=actor, regenerate=True)[account.pk]
    return code


@transaction.atomic
def activation_codes_rekey() -> int:
    """Re-encrypt every stored code with the first key of ACTIVATION_CODE_KEYS (key rotation)."""
    records = list(ActivationCode.objects.select_for_update().only("pk", "ciphertext"))
    for record in records:
        record.ciphertext = codes.code_reencrypt(record.ciphertext)
    ActivationCode.objects.bulk_update(records, ["ciphertext"], batch_size=BATCH)
    logger.info("activation codes re-encrypted: %s", len(records))
    return len(records)


# --- activation, e-mail, password -----------------------------------------------------------


def _email_confirmation_later(account: User) -> None:
    audit_accounts(event=Event.EMAIL_SET, account_ids=[account.pk], actor=account)
    transaction.on_commit(partial(tasks.email_confirmation_send.delay, account.pk))


@transaction.atomic
def account_activate(
    *, login: str, code: str, password: str, email: str = "", terms_version: str
) -> User:
    """Activate with the letter's login and code: password set, code gone, terms recorded."""
    account = selectors.account_for_activation(login=login, code=code)
    record = (
        ActivationCode.objects.select_for_update().filter(account=account).first()
        if account is not None
        else None
    )
    if record is None:  # a wrong code, or the same code used twice at once
        raise ApplicationError(str(INVALID_ACTIVATION), code="invalid-activation")
    now = timezone.now()
    account.set_password(password)
    account.activated_at = now
    account.terms_version = terms_version
    account.terms_accepted_at = now
    account.email = User.objects.normalize_email(email or "")
    account.email_confirmed_at = None
    account.save(
        update_fields=[
            "password",
            "activated_at",
            "terms_version",
            "terms_accepted_at",
            "email",
            "email_confirmed_at",
        ]
    )
    record.delete()
    RenewalRequest.objects.filter(account=account, status=RenewalRequest.Status.OPEN).update(
        status=RenewalRequest.Status.CANCELLED, handled_at=now
    )
    audit_accounts(event=Event.ACTIVATED, account_ids=[account.pk], actor=account,
                   data={"terms": terms_version})  # fmt: skip
    if account.email:
        _email_confirmation_later(account)
    logger.info("account %s activated", account.pk)
    return account


@transaction.atomic
def account_email_set(*, account: User, email: str) -> User:
    """Change (or clear) one's e-mail; a new address is used only once its link is followed."""
    email = User.objects.normalize_email((email or "").strip())
    if email == account.email:
        return account
    account.email = email
    account.email_confirmed_at = None
    account.save(update_fields=["email", "email_confirmed_at"])
    if email:
        _email_confirmation_later(account)
    else:
        audit_accounts(event=Event.EMAIL_SET, account_ids=[account.pk], actor=account)
    return account


@transaction.atomic
def account_email_confirm(*, account: User) -> User:
    account.email_confirmed_at = timezone.now()
    account.save(update_fields=["email_confirmed_at"])
    audit_accounts(event=Event.EMAIL_CONFIRMED, account_ids=[account.pk], actor=account)
    return account


@transaction.atomic
def account_password_change(*, account: User, password: str) -> User:
    account.set_password(password)
    account.save(update_fields=["password"])
    audit_accounts(event=Event.PASSWORD_CHANGED, account_ids=[account.pk], actor=account)
    return account


@transaction.atomic
def account_recovery_request(*, identifier: str) -> None:
    """Forgotten password, by login or confirmed e-mail. Says nothing back, whatever happens.

    A confirmed e-mail gets a time-limited, single-use link. Otherwise a renewal request lands in
    the queue of whoever hands out slips (see `selectors.renewal_recipients`), who is e-mailed.
    """
    for account in selectors.recovery_accounts(identifier=identifier):
        if account.has_confirmed_email and account.has_usable_password():
            audit_accounts(event=Event.RECOVERY_LINK_SENT, account_ids=[account.pk])
            transaction.on_commit(partial(tasks.password_reset_email_send.delay, account.pk))
        elif account.kind in selectors.PERSON_KINDS:
            request, created = RenewalRequest.objects.get_or_create(
                account=account, status=RenewalRequest.Status.OPEN
            )
            if created:
                audit_accounts(event=Event.RENEWAL_REQUESTED, account_ids=[account.pk],
                               data={"request": request.pk})  # fmt: skip
                transaction.on_commit(partial(tasks.renewal_request_notify.delay, request.pk))


@transaction.atomic
def account_password_reset(*, account: User, password: str) -> User:
    """The new password chosen through an e-mailed link."""
    now = timezone.now()
    account.set_password(password)
    account.activated_at = account.activated_at or now
    account.save(update_fields=["password", "activated_at"])
    RenewalRequest.objects.filter(account=account, status=RenewalRequest.Status.OPEN).update(
        status=RenewalRequest.Status.CANCELLED, handled_at=now
    )
    audit_accounts(event=Event.RECOVERY_PASSWORD_SET, account_ids=[account.pk], actor=account)
    return account


# --- staff resets, letters, renewal slips ----------------------------------------------------


@transaction.atomic
def account_reset(*, accounts: Sequence[User], actor) -> list[int]:
    """Back to "not activated": new code, old password unusable, e-mail to confirm again.

    The caller has checked that every account is in the actor's scope. Returns the ids reset.
    """
    ids = sorted({a.pk for a in accounts})
    users = list(User.objects.select_for_update().filter(pk__in=ids, is_active=True).order_by("pk"))
    for user in users:
        user.set_unusable_password()
        user.activated_at = None
        user.email_confirmed_at = None
    User.objects.bulk_update(users, ["password", "activated_at", "email_confirmed_at"])
    reset_ids = [u.pk for u in users]
    _codes_for(account_ids=reset_ids, actor=actor, regenerate=True)
    RenewalRequest.objects.filter(
        account_id__in=reset_ids, status=RenewalRequest.Status.OPEN
    ).update(status=RenewalRequest.Status.DONE, handled_by=actor, handled_at=timezone.now())
    audit_accounts(event=Event.RESET, account_ids=reset_ids, actor=actor)
    logger.info("accounts reset by account %s: %s", actor.pk, reset_ids)
    return reset_ids


@transaction.atomic
def letter_batch_create(
    *, actor, kind: str, account_ids: Sequence[int], school_class=None
) -> tuple[LetterBatch, bytes]:
    """Print activation letters (PDF) for the accounts not activated yet, in the order given.

    A reprint shows the same code while the account is not activated; an expired code is
    replaced. The batch row records who, when and how many — never a code.
    """
    printable = set(
        User.objects.filter(
            pk__in=account_ids, is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
        ).values_list("pk", flat=True)
    )
    ids = [pk for pk in dict.fromkeys(account_ids) if pk in printable]
    if not ids:
        raise ApplicationError(_("No account of the selection needs a letter."), code="empty")
    batch = LetterBatch.objects.create(kind=kind, requested_by=actor, school_class=school_class)
    subjects = selectors.letter_subjects(user=actor, account_ids=ids, school_class=school_class)
    issued = _codes_for(account_ids=ids, actor=actor, regenerate=False)
    letters = [
        Letter(
            login=subject.login,
            code=issued[subject.account_id][0],
            expires_at=issued[subject.account_id][1],
            kind=subject.kind,
            holder=subject.holder,
            schools=tuple(subject.schools),
            classes=tuple(subject.classes),
            children=tuple(subject.children),
            renewal=kind == LetterBatch.Kind.RENEWAL,
        )
        for subject in subjects
    ]
    site = settings.ENT_SITE_URL.rstrip("/") + reverse("account:activate")
    pdf = letters_render(letters, site_url=site)
    batch.status = LetterBatch.Status.DONE
    batch.count = len(letters)
    batch.printed_at = timezone.now()
    batch.save(update_fields=["status", "count", "printed_at", "updated_at"])
    audit_accounts(event=Event.LETTER_PRINTED, account_ids=ids, actor=actor,
                   data={"batch": batch.pk})  # fmt: skip
    logger.info("letter batch %s: %s letters for account %s", batch.pk, len(ids), actor.pk)
    return batch, pdf


@transaction.atomic
def renewal_request_fulfil(
    *, actor, requests: Sequence[RenewalRequest]
) -> tuple[LetterBatch, bytes]:
    """Hand over renewal slips: reset the accounts, print their new codes, close the requests."""
    account_ids = list(dict.fromkeys(r.account_id for r in requests))
    accounts = list(User.objects.filter(pk__in=account_ids))
    reset_ids = set(account_reset(accounts=accounts, actor=actor))
    audit_accounts(event=Event.RENEWAL_SLIP_PRINTED, account_ids=sorted(reset_ids), actor=actor)
    # The other staff told of these requests learn that a colleague handled them.
    request_ids = [r.pk for r in requests]
    transaction.on_commit(partial(tasks.renewal_request_handled_notify.delay, request_ids))
    return letter_batch_create(
        actor=actor,
        kind=LetterBatch.Kind.RENEWAL,
        account_ids=[pk for pk in account_ids if pk in reset_ids],
    )


# --- the city's own staff ----------------------------------------------------------------------


@transaction.atomic
def city_staff_invite(
    *, login: str, first_name: str, last_name: str, email: str, role: str, actor=None
) -> User:
    """A city-staff account with its role, and an e-mailed one-time link to choose a password.

    IT administrators may open the Django admin (`is_staff`); nobody is made a superuser here.
    """
    login = UserManager.normalize_login(login)
    if User.objects.filter(login__iexact=login).exists():
        raise ApplicationError(_("This login is already taken."), code="login-taken")
    account = User.objects.create_user(
        login,
        email=email,
        first_name=first_name,
        last_name=last_name,
        kind=User.Kind.CITY,
        city_role=role,
        is_staff=role == User.CityRole.IT_ADMIN,
    )
    audit_accounts(
        event=Event.CITY_STAFF_INVITED, account_ids=[account.pk], actor=actor, data={"role": role}
    )
    transaction.on_commit(partial(tasks.city_staff_invitation_send.delay, account.pk))
    logger.info(
        "city staff account %s invited by account %s", account.pk, getattr(actor, "pk", None)
    )
    return account


@transaction.atomic
def city_staff_deactivate(*, account: User, actor) -> User:
    """The account can no longer log in (kept, never deleted: the audit trail names it)."""
    if account.pk == actor.pk:
        raise ApplicationError(_("You cannot deactivate your own account."), code="self")
    if account.kind != User.Kind.CITY:
        raise ApplicationError(_("Only city staff accounts are managed here."), code="not-city")
    account.is_active = False
    account.save(update_fields=["is_active"])
    audit_accounts(event=Event.CITY_STAFF_DEACTIVATED, account_ids=[account.pk], actor=actor)
    logger.info("city staff account %s deactivated by account %s", account.pk, actor.pk)
    return account
