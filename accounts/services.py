"""Writes on ENT accounts: sync with the directory, activation codes, activation, recovery,
staff resets and activation letters. Each function runs in a transaction and is audited.
"""

import datetime
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import batched
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import codes, selectors, tasks
from accounts.audit import Event, audit_accounts
from accounts.letter_selectors import BatchSelection, letter_batch_selection
from accounts.letters import (
    BatchLetter,
    Cover,
    Letter,
    SchoolContact,
    letter_batch_render,
    letters_render,
)
from accounts.logins import LoginAllocator
from accounts.models import ActivationCode, LetterBatch, RenewalRequest, User, UserManager
from accounts.scope import SystemActor, may_obtain_credentials, scope_for_user
from entaix.common.db import bulk_insert, bulk_set
from entaix.common.exceptions import ApplicationError
from entaix.common.storage import private_storage
from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
)

logger = logging.getLogger(__name__)

BATCH = 2000
BEYOND_SCOPE = _(
    "Some of these accounts reach beyond your scope (another school or class): "
    "the school service prints their letters."
)
INVALID_ACTIVATION = _("Login or activation code incorrect, or the code has expired.")


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
    for chunk in batched(account_ids, BATCH):
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
        # A locked account (manual decision) is never active, whatever the feed says.
        deactivated += (
            model.objects.filter(account__is_active=True)
            .filter(~entitled | Q(account__locked_at__isnull=False))
            .values_list("account_id", flat=True)
        )
        reactivated += model.objects.filter(
            entitled, account__is_active=False, account__locked_at__isnull=True
        ).values_list("account_id", flat=True)
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


@transaction.atomic
def account_lock(*, account_ids: Sequence[int], actor, reason: str) -> int:
    """Deactivate and lock accounts (an upheld opposition…): `account_sync` never reactivates
    them and no letter is printed for them. Returns how many were locked now."""
    ids = list(
        User.objects.select_for_update()
        .filter(pk__in=account_ids, locked_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=ids).update(
        is_active=False, locked_at=timezone.now(), lock_reason=reason
    )
    audit_accounts(event=Event.ACCOUNT_LOCKED, account_ids=ids, actor=actor,
                   data={"reason": reason})  # fmt: skip
    logger.info("accounts locked (%s): %s", reason, ids)
    return len(ids)


@transaction.atomic
def account_unlock(*, account_ids: Sequence[int], actor, reason: str = "") -> int:
    """Lift a lock (only one with this reason, when given); entitled accounts come back at once."""
    locked = User.objects.select_for_update().filter(pk__in=account_ids, locked_at__isnull=False)
    if reason:
        locked = locked.filter(lock_reason=reason)
    ids = list(locked.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    User.objects.filter(pk__in=ids).update(locked_at=None, lock_reason="")
    audit_accounts(event=Event.ACCOUNT_UNLOCKED, account_ids=ids, actor=actor)
    account_sync()
    logger.info("accounts unlocked: %s", ids)
    return len(ids)


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
            # A new code has not been printed yet (the "not-printed" batches pick it up).
            "printed_at": None,
            "printed_by": None,
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
        [
            "digest",
            "ciphertext",
            "expires_at",
            "issued_by",
            "printed_at",
            "printed_by",
            "updated_at",
        ],
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
    transaction.on_commit(partial(tasks.email_confirmation_send_task.delay, account.pk))


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
            transaction.on_commit(partial(tasks.password_reset_email_send_task.delay, account.pk))
        elif account.kind in selectors.PERSON_KINDS:
            _renewal_request_open(account)


def _renewal_request_open(account: User) -> None:
    """An open renewal request for `account` (one at most), e-mailed to who hands the slip."""
    request, created = RenewalRequest.objects.get_or_create(
        account=account, status=RenewalRequest.Status.OPEN
    )
    if created:
        audit_accounts(event=Event.RENEWAL_REQUESTED, account_ids=[account.pk],
                       data={"request": request.pk})  # fmt: skip
        transaction.on_commit(partial(tasks.renewal_request_notify_task.delay, request.pk))


@transaction.atomic
def account_login_reminder_request(*, email: str) -> None:
    """Forgotten login, by e-mail address. Says nothing back, whatever happens.

    The accounts that confirmed the address get one message listing their logins (and their
    children's first names). The persons' accounts holding it unconfirmed get a renewal request,
    as for a forgotten password: an address names no account until confirmed, so the slip goes
    through the teacher. The mail task is queued whatever the address, even for none, so that an
    unknown address costs the page the same work as a known one.
    """
    confirmed, unconfirmed = selectors.email_holders(email=email)
    account_ids = [account.pk for account in confirmed]
    if account_ids:
        audit_accounts(event=Event.LOGIN_REMINDER_SENT, account_ids=account_ids)
    for account in unconfirmed:
        _renewal_request_open(account)
    transaction.on_commit(partial(tasks.login_reminder_send_task.delay, account_ids))


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


def account_credentials_check(*, actor, account_ids: Iterable[int]) -> None:
    """Refuse (ApplicationError `beyond-scope`) a credential for an account reaching beyond the
    actor's scope (`accounts.scope.credential_accounts_for_user`); writes nothing."""
    if not may_obtain_credentials(actor, account_ids):
        logger.warning("credential refused beyond scope for account %s", actor.pk)
        raise ApplicationError(BEYOND_SCOPE, code="beyond-scope")


@transaction.atomic
def account_reset(*, accounts: Sequence[User], actor) -> list[int]:
    """Back to "not activated": new code, old password unusable, e-mail to confirm again.

    Refused, with nothing changed, when one account's reach exceeds the actor's scope
    (`accounts.scope.credential_accounts_for_user`). Returns the ids reset.
    """
    ids = sorted({a.pk for a in accounts})
    account_credentials_check(actor=actor, account_ids=ids)
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
    replaced. The batch row records who, when and how many — never a code. Refused, with
    nothing changed, when one account's reach exceeds the actor's scope.
    """
    account_credentials_check(actor=actor, account_ids=account_ids)
    printable = set(
        User.objects.filter(
            pk__in=account_ids,
            is_active=True,
            locked_at__isnull=True,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
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
            school_contacts=tuple(subject.school_contacts),
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
    transaction.on_commit(partial(tasks.renewal_request_handled_notify_task.delay, request_ids))
    return letter_batch_create(
        actor=actor,
        kind=LetterBatch.Kind.RENEWAL,
        account_ids=[pk for pk in account_ids if pk in reset_ids],
    )


# --- letter batches over a school or a class (background, command line) ----------------------


def _batch_check(*, printer, school: School, school_class: SchoolClass | None) -> None:
    """Refuse, before anything is written, a batch the printer may not ask for."""
    scope = scope_for_user(printer)
    if scope.is_empty:
        raise ApplicationError(_("You have no school or class to print letters for."),
                               code="no-scope")  # fmt: skip
    if not school.ent_open or school.left_at is not None:
        raise ApplicationError(
            _("The ENT of the school %(uai)s is not open: no letter can be printed.")
            % {"uai": school.uai},
            code="closed",
        )
    if school_class is not None and (
        school_class.school_id != school.pk or school_class.left_at is not None
    ):
        raise ApplicationError(_("This class is not a class of the school."), code="class")
    if scope.is_city:
        return
    if school_class is None and school.pk not in scope.school_ids:
        raise ApplicationError(_("Only the school's director prints letters for the whole school."),
                               code="scope")  # fmt: skip
    if school_class is not None and not (
        school.pk in scope.school_ids or school_class.pk in scope.class_ids
    ):
        raise ApplicationError(_("This class is not one of yours."), code="scope")


def _batch_selection(batch_or_args: dict, printer) -> BatchSelection:
    return letter_batch_selection(
        printer=printer,
        staff_title=str(_("Staff")),
        no_class_title=str(_("Without a class")),
        **batch_or_args,
    )


@transaction.atomic
def letter_batch_request(
    *,
    actor,
    school: School,
    school_class: SchoolClass | None = None,
    profile: str,
    batch_filter: str = LetterBatch.Filter.NOT_ACTIVATED,
    layout: str = LetterBatch.Layout.LETTER,
    origin: str = LetterBatch.Origin.PAGE,
) -> LetterBatch:
    """Ask for a batch over a school or a class; the page's batches are built by the worker.

    Refused with a message, nothing written and no code issued, for a printer without scope, a
    closed school, a class of another school, or a batch that selects nobody.
    """
    batch, _selection = _batch_create(
        actor=actor, school=school, school_class=school_class, profile=profile,
        batch_filter=batch_filter, layout=layout, origin=origin,
    )  # fmt: skip
    return batch


def _batch_create(
    *, actor, school, school_class, profile, batch_filter, layout, origin
) -> tuple[LetterBatch, BatchSelection]:
    _batch_check(printer=actor, school=school, school_class=school_class)
    args = {"school": school, "school_class": school_class, "profile": profile,
            "batch_filter": batch_filter}  # fmt: skip
    selection = _batch_selection(args, actor)
    if not selection.count:
        raise ApplicationError(_("Nobody in this batch needs a letter."), code="empty")
    batch = LetterBatch.objects.create(
        kind=LetterBatch.Kind.CLASS if school_class else LetterBatch.Kind.SCHOOL,
        requested_by=actor if getattr(actor, "pk", None) else None,
        origin=origin,
        school=school,
        school_class=school_class,
        profile=profile,
        filter=batch_filter,
        layout=layout,
        count=selection.count,
    )
    if origin == LetterBatch.Origin.PAGE:
        transaction.on_commit(partial(tasks.letter_batch_build_task.delay, batch.pk))
    logger.info("letter batch %s requested by account %s", batch.pk, batch.requested_by_id)
    return batch, selection


@transaction.atomic
def letter_batch_retry(*, batch: LetterBatch, actor) -> LetterBatch:
    """Build a failed batch again. Codes issued by the failed attempt are reused, not reissued."""
    updated = LetterBatch.objects.filter(pk=batch.pk, status=LetterBatch.Status.FAILED).update(
        status=LetterBatch.Status.PENDING, progress=0, error="", updated_at=timezone.now()
    )
    if not updated:
        raise ApplicationError(_("Only a failed batch can be tried again."), code="not-failed")
    transaction.on_commit(partial(tasks.letter_batch_build_task.delay, batch.pk))
    batch.refresh_from_db()
    return batch


def _contact(school: School) -> SchoolContact:
    return SchoolContact(
        name=school.name, address=school.address, po_box=school.po_box,
        postal_code=school.postal_code, city=school.city, phone=school.phone, email=school.email,
    )  # fmt: skip


class _Progress:
    """Writes the batch's progress at most twice a second: the page polls it."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self.last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last >= 0.5:
            self.last = now
            LetterBatch.objects.filter(pk=self.batch_id).update(progress=done)


def _batch_pdf(
    batch: LetterBatch, printer, selection: BatchSelection | None
) -> tuple[bytes, int, list[int], list[int]]:
    """Select (unless the caller just did), issue or decrypt codes (committed: a retry reuses
    them), render. Returns (pdf, pages, every account id, ids of the accounts given a code)."""
    if selection is None:
        args = {"school": batch.school, "school_class": batch.school_class,
                "profile": batch.profile, "batch_filter": batch.filter}  # fmt: skip
        selection = _batch_selection(args, printer)
    if not selection.count:
        raise ApplicationError(_("Nobody in this batch needs a letter."), code="empty")
    coded = [entry.account_id for entry in selection.entries if not entry.activated]
    with transaction.atomic():
        issued = _codes_for(account_ids=coded, actor=printer, regenerate=False) if coded else {}
    LetterBatch.objects.filter(pk=batch.pk).update(count=selection.count)
    printed_by = str(printer) if printer.pk is None else printer.get_full_name() or printer.login
    today = timezone.localdate()
    piles = []
    for group in selection.groups:
        cover = Cover(
            title=group.title, school=batch.school.name, teachers=tuple(group.teachers),
            count=len(group.entries), printed_on=today, printed_by=printed_by,
        )  # fmt: skip
        letters = [
            BatchLetter(
                login=entry.login,
                kind=entry.kind,
                holder=entry.holder,
                code=issued[entry.account_id][0] if not entry.activated else "",
                expires_at=issued[entry.account_id][1] if not entry.activated else None,
                school=entry.school,
                school_class=entry.school_class,
                children=tuple((c.name, c.school, c.school_class) for c in entry.children),
            )
            for entry in group.entries
        ]
        piles.append((cover, letters))
    site = settings.ENT_SITE_URL.rstrip("/")
    pdf, pages = letter_batch_render(
        piles,
        layout=batch.layout,
        site_url=site + "/",
        activate_url=site + reverse("account:activate"),
        contact=_contact(batch.school),
        on_progress=_Progress(batch.pk),
    )
    return pdf, pages, [entry.account_id for entry in selection.entries], coded


@transaction.atomic
def _batch_done(
    *, batch: LetterBatch, printer, pages: int, account_ids: list[int], coded: list[int], name: str
) -> None:
    """The PDF exists: only now are the letters recorded as printed."""
    now = timezone.now()
    ActivationCode.objects.filter(account_id__in=coded).update(
        printed_at=now, printed_by=printer if printer.pk else None
    )
    keep = datetime.timedelta(hours=settings.LETTER_BATCH_KEEP_HOURS)
    LetterBatch.objects.filter(pk=batch.pk).update(
        status=LetterBatch.Status.DONE, count=len(account_ids), progress=len(account_ids),
        pages=pages, printed_at=now, finished_at=now, file=name,
        expires_at=now + keep if name else None, updated_at=now,
    )  # fmt: skip
    audit_accounts(event=Event.LETTER_PRINTED, account_ids=account_ids, actor=printer,
                   data={"batch": batch.pk})  # fmt: skip


def letter_batch_build(
    *, batch_id: int, printer=None, out: Path | None = None, selection=None
) -> LetterBatch:
    """Build a pending batch (the worker's task, or the command with `out`).

    Steps commit one by one so that the page sees the progress: codes (a retry finds them and
    issues none again), the PDF (into MEDIA_ROOT/private/letters/, or `out`), then the
    printed-at/printed-by record. A failure marks the batch failed and records nothing as
    printed. A batch that is not pending (delivered twice) is left alone, unless it has been
    running longer than a task may live: its worker died, and the redelivered task takes it up.
    """
    now = timezone.now()
    dead = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=LetterBatch.Status.PENDING) | Q(
        status=LetterBatch.Status.RUNNING, started_at__lt=dead
    )
    claimed = LetterBatch.objects.filter(claimable, pk=batch_id).update(
        status=LetterBatch.Status.RUNNING, started_at=now, finished_at=None,
        attempts=F("attempts") + 1, progress=0, error="", updated_at=now,
    )  # fmt: skip
    batch = LetterBatch.objects.select_related("school", "school_class", "requested_by").get(
        pk=batch_id
    )
    if not claimed:
        return batch
    if printer is None:
        printer = batch.requested_by if batch.requested_by_id else SystemActor()
    name = ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            pdf, pages, account_ids, coded = _batch_pdf(batch, printer, selection)
        if out is not None:
            out.write_bytes(pdf)
        else:
            name = private_storage().save(
                f"letters/lettres-{batch.pk}-{secrets.token_hex(8)}.pdf", ContentFile(pdf)
            )
        _batch_done(batch=batch, printer=printer, pages=pages, account_ids=account_ids,
                    coded=coded, name=name)  # fmt: skip
    except Exception as exc:
        if name:
            private_storage().delete(name)
        error = exc.message if isinstance(exc, ApplicationError) else type(exc).__name__
        LetterBatch.objects.filter(pk=batch_id).update(
            status=LetterBatch.Status.FAILED, error=str(error)[:200],
            finished_at=timezone.now(), updated_at=timezone.now(),
        )  # fmt: skip
        logger.exception("letter batch %s failed", batch_id)
    batch.refresh_from_db()
    logger.info("letter batch %s: %s, %s letters", batch.pk, batch.status, batch.count)
    return batch


def letter_batches_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the PDFs kept longer than LETTER_BATCH_KEEP_HOURS; returns how many."""
    now = now or timezone.now()
    purged = 0
    for batch in LetterBatch.objects.filter(
        status=LetterBatch.Status.DONE, expires_at__lte=now
    ).only("pk", "file"):
        if batch.file.name:
            private_storage().delete(batch.file.name)
        LetterBatch.objects.filter(pk=batch.pk).update(
            status=LetterBatch.Status.EXPIRED, file="", updated_at=now
        )
        purged += 1
    logger.info("letter batches purged: %s", purged)
    return purged


def letter_batch_print(
    *,
    uai: str,
    class_name: str = "",
    profile: str,
    batch_filter: str = LetterBatch.Filter.NOT_ACTIVATED,
    layout: str = LetterBatch.Layout.LETTER,
    out: Path,
) -> LetterBatch:
    """The command line's batch (`letters_print`): built at once into `out`, recorded as printed
    by the system. An unknown school or class, a closed school or an empty batch is refused
    before anything is written."""
    school = School.objects.filter(uai=uai.strip().upper()).first()
    if school is None:
        raise ApplicationError(_("No school has the UAI %(uai)s.") % {"uai": uai}, code="school")
    school_class = None
    if class_name:
        school_class = (
            SchoolClass.objects.filter(school=school, name=class_name, left_at__isnull=True)
            .order_by("kind", "pk")
            .first()
        )
        if school_class is None:
            raise ApplicationError(
                _("The school %(uai)s has no class named %(name)s.")
                % {"uai": school.uai, "name": class_name},
                code="class",
            )
    printer = SystemActor()
    with transaction.atomic():
        batch, selection = _batch_create(
            actor=printer, school=school, school_class=school_class, profile=profile,
            batch_filter=batch_filter, layout=layout, origin=LetterBatch.Origin.COMMAND,
        )  # fmt: skip
    return letter_batch_build(batch_id=batch.pk, printer=printer, out=out, selection=selection)


def letter_batches_print_open_schools(
    *, profile: str, batch_filter: str, layout: str, out_dir: Path
) -> list[tuple[str, LetterBatch | None]]:
    """September's run for the school service: one PDF per open school (`UAI.pdf` in `out_dir`);
    a school with nobody to print gets no file. Returns (UAI, batch or None) per school."""
    results = []
    for uai in (
        School.objects.filter(ent_open=True, left_at__isnull=True)
        .order_by("uai")
        .values_list("uai", flat=True)
    ):
        try:
            batch = letter_batch_print(
                uai=uai, profile=profile, batch_filter=batch_filter, layout=layout,
                out=out_dir / f"{uai}.pdf",
            )  # fmt: skip
        except ApplicationError as error:
            if error.code != "empty":
                raise
            batch = None
        results.append((uai, batch))
    return results


# --- two-factor authentication (accounts/mfa.py) ----------------------------------------------

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
BAD_MFA_CODE = _("The code is not right: type the code your app shows now.")


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_digest(code: str) -> str:
    """What is stored of a recovery code: a keyed hash (django-otp's 16-character token field),
    never the code itself."""
    return salted_hmac("entaix.mfa.recovery-code", code, algorithm="sha256").hexdigest()[:16]


def _recovery_codes_issue(account: User) -> list[str]:
    StaticDevice.objects.filter(user=account).delete()
    device = StaticDevice.objects.create(user=account, name="recovery", confirmed=True)
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_recovery_digest(code)) for code in codes
    )
    return codes


@transaction.atomic
def mfa_enrol_start(*, account: User) -> TOTPDevice:
    """A new, unconfirmed TOTP secret for the account (an earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=account, confirmed=False).delete()
    return TOTPDevice.objects.create(user=account, name="totp", confirmed=False)


@transaction.atomic
def mfa_enrol_confirm(*, account: User, device_id: int, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the new secret with a code from the app; it replaces any earlier second factor.

    Returns the device and the recovery codes, shown once.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(pk=device_id, user=account, confirmed=False)
        .first()
    )
    if device is None or not device.verify_token((token or "").strip().replace(" ", "")):
        raise ApplicationError(BAD_MFA_CODE, code="bad-code")
    TOTPDevice.objects.filter(user=account).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_issue(account)
    audit_accounts(event=Event.MFA_ENROLLED, account_ids=[account.pk], actor=account)
    logger.info("second factor enrolled for account %s", account.pk)
    return device, codes


@transaction.atomic
def mfa_recovery_codes_renew(*, account: User) -> list[str]:
    if not TOTPDevice.objects.filter(user=account, confirmed=True).exists():
        raise ApplicationError(_("Two-factor authentication is not on."), code="no-mfa")
    codes = _recovery_codes_issue(account)
    audit_accounts(event=Event.MFA_RECOVERY_RENEWED, account_ids=[account.pk], actor=account)
    return codes


@transaction.atomic
def mfa_verify(*, account: User, token: str):
    """The device that accepts `token` (a TOTP code, or a recovery code, used up), or None.

    django-otp throttles each device after failures; the caller counts a failure against the
    account's lockout.
    """
    token = (token or "").strip().replace(" ", "")
    if not token:
        return None
    for device in TOTPDevice.objects.select_for_update().filter(user=account, confirmed=True):
        if token.isdigit() and device.verify_token(token):
            return device
    for device in StaticDevice.objects.select_for_update().filter(user=account, confirmed=True):
        if device.verify_token(_recovery_digest(token.upper())):
            audit_accounts(event=Event.MFA_RECOVERY_USED, account_ids=[account.pk], actor=account)
            return device
    return None


@transaction.atomic
def mfa_reset(*, account: User, actor) -> None:
    """City staff remove someone's second factor (a lost phone): they enrol again."""
    if not scope_for_user(actor).is_city or account.pk == actor.pk:
        raise ApplicationError(_("Only the school service can do this."), code="forbidden")
    TOTPDevice.objects.filter(user=account).delete()
    StaticDevice.objects.filter(user=account).delete()
    audit_accounts(event=Event.MFA_RESET, account_ids=[account.pk], actor=actor)
    logger.info("second factor of account %s reset by account %s", account.pk, actor.pk)


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
    transaction.on_commit(partial(tasks.city_staff_invitation_send_task.delay, account.pk))
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
