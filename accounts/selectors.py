"""Reads of ENT accounts: who may act on which account, class pages, letters, renewal queues.

Every staff-facing read is scoped through `accounts.scope`; nothing here decides scope itself.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts import codes
from accounts.letters import school_contact_lines
from accounts.models import ActivationCode, RenewalRequest, User, UserManager
from accounts.scope import (
    Role,
    authority_links,
    credential_accounts_for_user,
    guardians_for_user,
    pupils_for_user,
    schools_for_user,
    scope_for_user,
    staff_for_user,
)
from schools.kinds import PersonKind
from schools.models import (
    Pupil,
    PupilClass,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
    StaffClass,
)


def accounts_for_user(*, user: User) -> QuerySet[User]:
    """Active accounts a staff user may see in the account pages.

    Obtaining a credential for one (letter, reset, renewal slip) is narrower:
    `accounts.scope.credential_accounts_for_user`. Teachers: the pupils of their classes and
    those pupils' guardians with authority; directors:
    the same for their school, plus its staff; city staff: every person's account. Never oneself.
    """
    scope = scope_for_user(user)
    if scope.is_empty:
        return User.objects.none()
    pupils = pupils_for_user(user).filter(left_at__isnull=True)
    guardians = guardians_for_user(user).filter(
        left_at__isnull=True,
        id__in=authority_links().filter(pupil__in=pupils).values("guardian_id"),
    )
    condition = Q(pupil__in=pupils) | Q(guardian__in=guardians)
    if scope.is_city or Role.DIRECTOR in scope.roles:
        condition |= Q(staff__in=staff_for_user(user).filter(left_at__isnull=True))
    return User.objects.filter(condition, is_active=True).exclude(pk=user.pk)


def class_letters_to_print(*, user: User, classes) -> dict[int, tuple[int, int]]:
    """{class id: (families' letters, pupils' letters)} still to print for these classes: active
    accounts never activated whose code was never printed (or has expired), among those the
    user may obtain credentials for. After the changeover: the new classes' arrivals. Two
    queries, whatever the number of classes."""
    now = timezone.now()
    printable = (
        credential_accounts_for_user(user)
        .filter(is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(activation_code__printed_at__isnull=False, activation_code__expires_at__gt=now)
    )
    counts: dict[int, list[int]] = {}
    for class_id, n in (
        authority_links()
        .filter(
            pupil__class_links__school_class__in=classes,
            guardian__left_at__isnull=True,
            guardian__account__in=printable,
        )
        .values_list("pupil__class_links__school_class_id")
        .annotate(n=Count("guardian_id", distinct=True))
        .order_by()
    ):
        counts.setdefault(class_id, [0, 0])[0] = n
    for class_id, n in (
        PupilClass.objects.filter(
            school_class__in=classes, pupil__left_at__isnull=True, pupil__account__in=printable
        )
        .values_list("school_class_id")
        .annotate(n=Count("pupil_id", distinct=True))
        .order_by()
    ):
        counts.setdefault(class_id, [0, 0])[1] = n
    return {class_id: (families, pupils) for class_id, (families, pupils) in counts.items()}


def class_pupils_for_user(*, user: User, school_class: SchoolClass) -> list[Pupil]:
    """The class's present pupils with their accounts and guardians with authority (3 queries)."""
    links = authority_links().select_related("guardian__account__activation_code")
    return list(
        pupils_for_user(user)
        .filter(left_at__isnull=True, class_links__school_class=school_class)
        .select_related("account__activation_code")
        .prefetch_related(
            Prefetch("guardian_links", queryset=links.order_by("legal"), to_attr="authority")
        )
        .order_by("last_name", "first_name", "id")
    )


def school_staff_for_user(*, user: User, school: School) -> list[Staff]:
    return list(
        staff_for_user(user)
        .filter(left_at__isnull=True, assignments__school=school)
        .select_related("account__activation_code")
        .order_by("last_name", "first_name", "id")
    )


def _class_accounts(*, user: User, school_class: SchoolClass, audience: str) -> QuerySet[User]:
    pupils = pupils_for_user(user).filter(
        left_at__isnull=True, class_links__school_class=school_class
    )
    if audience == PersonKind.GUARDIAN:
        return User.objects.filter(
            guardian__left_at__isnull=True,
            guardian__in=authority_links().filter(pupil__in=pupils).values("guardian_id"),
        )
    return User.objects.filter(pupil__in=pupils)


def class_letter_account_ids(*, user: User, school_class: SchoolClass, audience: str) -> list[int]:
    """Accounts of the class that need a letter: active, not activated, and within what the user
    may obtain credentials for (`accounts.scope.credential_accounts_for_user`).

    `audience` is `PersonKind.GUARDIAN` (holders of parental authority only: contacts never get
    one) or `PersonKind.PUPIL`.
    """
    accounts = _class_accounts(user=user, school_class=school_class, audience=audience)
    return list(
        credential_accounts_for_user(user)
        .filter(pk__in=accounts.values("pk"))
        .filter(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .order_by("last_name", "first_name", "id")
        .values_list("pk", flat=True)
    )


def class_letters_left_to_city_count(
    *, user: User, school_class: SchoolClass, audience: str
) -> int:
    """Accounts of the class that need a letter but reach beyond the user's scope (a guardian
    with a child in another school or class): the school service prints theirs."""
    accounts = _class_accounts(user=user, school_class=school_class, audience=audience)
    return (
        accounts_for_user(user=user)
        .filter(pk__in=accounts.values("pk"), password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(pk__in=credential_accounts_for_user(user).values("pk"))
        .count()
    )


def account_for_activation(*, login: str, code: str) -> User | None:
    """The account a login and a code open, or None — in the same time whatever fails."""
    login = UserManager.normalize_login(login)
    record = (
        ActivationCode.objects.select_related("account")
        .filter(account__login=login, account__is_active=True)
        .first()
        if login
        else None
    )
    if record is None:
        codes.code_matches(account_id=0, code=code, digest="0" * 64)  # same work as a real check
        return None
    if not codes.code_matches(account_id=record.account_id, code=code, digest=record.digest):
        return None
    if record.expires_at <= timezone.now() or record.account.has_usable_password():
        return None
    return record.account


def recovery_accounts(*, identifier: str) -> list[User]:
    """Active accounts a forgotten-password request names: by login, or by confirmed e-mail."""
    identifier = (identifier or "").strip()
    if not identifier:
        return []
    if "@" in identifier:
        return list(
            User.objects.filter(
                email__iexact=identifier, email_confirmed_at__isnull=False, is_active=True
            ).order_by("pk")
        )
    return list(User.objects.filter(login=UserManager.normalize_login(identifier), is_active=True))


def email_holders(*, email: str) -> tuple[list[User], list[User]]:
    """Active accounts holding `email` (whatever its case), for a forgotten login: those that
    confirmed it, and the persons' accounts that set it without confirming it."""
    email = (email or "").strip()
    if not email:
        return [], []
    holders = list(User.objects.filter(email__iexact=email, is_active=True).order_by("pk"))
    confirmed = [account for account in holders if account.has_confirmed_email]
    unconfirmed = [
        account
        for account in holders
        if not account.has_confirmed_email and account.kind in PersonKind.values
    ]
    return confirmed, unconfirmed


def login_reminder_lines(*, accounts: list[User]) -> list[dict]:
    """Each account's login and the first names of the children it is for (a guardian's children
    with authority, a pupil's own), nothing else: what a forgotten-login message may say."""
    names: dict[int, list[str]] = {account.pk: [] for account in accounts}
    guardians = [a.pk for a in accounts if a.kind == User.Kind.GUARDIAN]
    for account_id, first_name in (
        authority_links()
        .filter(guardian__account_id__in=guardians, pupil__left_at__isnull=True)
        .order_by("pupil__first_name", "pupil_id")
        .values_list("guardian__account_id", "pupil__first_name")
        .distinct()
    ):
        names[account_id].append(first_name)
    pupils = [a.pk for a in accounts if a.kind == User.Kind.PUPIL]
    for account_id, first_name in Pupil.objects.filter(
        account_id__in=pupils, left_at__isnull=True
    ).values_list("account_id", "first_name"):
        names[account_id].append(first_name)
    return [{"login": a.login, "names": ", ".join(names[a.pk])} for a in accounts]


def renewal_recipients(*, account: User) -> list[tuple[int, str]]:
    """(staff account id, address) of who must hand a renewal slip for `account`.

    A pupil: the teachers of their classes; a guardian: the teachers of their children's classes
    (children with a link carrying authority); staff: the directors of their schools. Only those
    who may hand this slip (`credential_accounts_for_user`): a guardian whose children are in two
    classes goes to the school's director instead, and one nobody in the schools may serve (children
    in two schools) stays in the school service's queue. The address is the staff member's
    confirmed ENT e-mail, else the academic one from the feed.
    """
    directors = Staff.objects.filter(assignments__is_director=True)
    if account.kind == User.Kind.STAFF:
        schools = StaffAssignment.objects.filter(
            staff__account=account, school__ent_open=True
        ).values("school_id")
        candidates = [directors.filter(assignments__school_id__in=schools).exclude(account=account)]
    else:
        if account.kind == User.Kind.PUPIL:
            pupils = Pupil.objects.filter(account=account, left_at__isnull=True)
        else:
            pupils = Pupil.objects.filter(
                id__in=authority_links().filter(guardian__account=account).values("pupil_id")
            )
        classes = PupilClass.objects.filter(
            pupil__in=pupils, school_class__left_at__isnull=True
        ).values("school_class_id")
        candidates = [
            Staff.objects.filter(
                id__in=StaffClass.objects.filter(school_class_id__in=classes).values("staff_id")
            ),
            directors.filter(assignments__school_id__in=pupils.values("school_id")),
        ]
    for staff in candidates:
        recipients = []
        for person in (
            staff.filter(left_at__isnull=True, account__is_active=True)
            .select_related("account").distinct().order_by("pk")
        ):  # fmt: skip
            holder = person.account
            if holder is None:  # filtered out above (an active account); said for the types
                continue
            if credential_accounts_for_user(holder).filter(pk=account.pk).exists():
                address = holder.email if holder.has_confirmed_email else person.email
                recipients.append((holder.pk, address))
        if recipients:
            return recipients
    return []


def renewal_requests_for_user(*, user: User) -> QuerySet[RenewalRequest]:
    """Open renewal requests in the user's queue: those for accounts whose credentials they
    may obtain (`accounts.scope.credential_accounts_for_user`); the others are the city's."""
    return (
        RenewalRequest.objects.filter(
            status=RenewalRequest.Status.OPEN, account__in=credential_accounts_for_user(user)
        )
        .select_related("account")
        .order_by("created_at", "pk")
    )


def renewal_requests_handled_for_user(*, user: User, days: int = 7) -> QuerySet[RenewalRequest]:
    """Requests in the user's scope handled in the last `days`, with who handled them: a second
    teacher told of the same request sees that a colleague did it."""
    since = timezone.now() - datetime.timedelta(days=days)
    return (
        RenewalRequest.objects.filter(
            status=RenewalRequest.Status.DONE,
            handled_at__gte=since,
            account__in=accounts_for_user(user=user),
        )
        .select_related("account", "handled_by")
        .order_by("-handled_at", "-pk")
    )


def guardian_children(*, account: User) -> list[Pupil]:
    """A guardian's children over whom they hold authority, for their own account page."""
    if account.kind != User.Kind.GUARDIAN:
        return []
    return list(
        Pupil.objects.filter(
            id__in=authority_links().filter(guardian__account=account).values("pupil_id")
        )
        .select_related("school")
        .prefetch_related(
            Prefetch(
                "class_links",
                queryset=PupilClass.objects.filter(
                    school_class__left_at__isnull=True
                ).select_related("school_class"),
                to_attr="present_classes",
            )
        )
        .order_by("first_name", "id")
    )


# --- what a letter says about its holder ---------------------------------------------------


@dataclass
class LetterSubject:
    account_id: int
    login: str
    kind: str
    holder: str
    schools: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    school_contacts: list[tuple[str, ...]] = field(default_factory=list)


def _school_contact(school) -> tuple[str, ...]:
    return school_contact_lines(
        name=school.name, address=school.address, po_box=school.po_box,
        postal_code=school.postal_code, city=school.city, phone=school.phone, email=school.email,
    )  # fmt: skip


def _add(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)


def letter_subjects(
    *, user: User, account_ids: list[int], school_class: SchoolClass | None = None
) -> list[LetterSubject]:
    """Holder, school, class and children for each account, limited to what `user` may see.

    With `school_class`, a guardian's letter names only their children in that class. A fixed
    number of queries whatever the number of accounts.
    """
    accounts = {
        a.pk: a
        for a in User.objects.filter(pk__in=account_ids).select_related(
            "pupil__school", "guardian", "staff"
        )
    }
    visible_pupils = pupils_for_user(user).filter(left_at__isnull=True)
    if school_class is not None:
        visible_pupils = visible_pupils.filter(class_links__school_class=school_class)
    pupil_ids = [a.pupil.pk for a in accounts.values() if hasattr(a, "pupil")]
    guardian_ids = [a.guardian.pk for a in accounts.values() if hasattr(a, "guardian")]
    staff_ids = [a.staff.pk for a in accounts.values() if hasattr(a, "staff")]
    children: dict[int, list[Pupil]] = {}
    for link in (
        authority_links()
        .filter(guardian_id__in=guardian_ids, pupil__in=visible_pupils)
        .select_related("pupil__school")
        .order_by("pupil__first_name", "pupil_id")
    ):
        children.setdefault(link.guardian_id, []).append(link.pupil)
    all_pupils = pupil_ids + [p.pk for kids in children.values() for p in kids]
    classes: dict[int, list[str]] = {}
    for membership in (
        PupilClass.objects.filter(pupil_id__in=all_pupils, school_class__left_at__isnull=True)
        .select_related("school_class")
        .order_by("school_class__kind", "school_class__name")
    ):
        if school_class is None or membership.school_class_id == school_class.pk:
            classes.setdefault(membership.pupil_id, []).append(membership.school_class.name)
    staff_schools: dict[int, list[str]] = {}
    for assignment in (
        StaffAssignment.objects.filter(
            staff_id__in=staff_ids, school__in=schools_for_user(user), school__ent_open=True
        )
        .select_related("school")
        .order_by("school__name")
    ):
        staff_schools.setdefault(assignment.staff_id, []).append(assignment.school.name)

    subjects = []
    for account_id in account_ids:
        account = accounts[account_id]
        subject = LetterSubject(
            account_id=account.pk,
            login=account.login,
            kind=account.kind,
            holder=account.get_full_name() or account.login,
        )
        if hasattr(account, "pupil"):
            pupil = account.pupil
            subject.holder = str(pupil)
            _add(subject.schools, pupil.school.name)
            for name in classes.get(pupil.pk, []):
                _add(subject.classes, name)
        elif hasattr(account, "guardian"):
            subject.holder = str(account.guardian)
            for pupil in children.get(account.guardian.pk, []):
                subject.children.append(str(pupil))
                _add(subject.schools, pupil.school.name)
                contact = _school_contact(pupil.school)
                if contact not in subject.school_contacts:
                    subject.school_contacts.append(contact)
                for name in classes.get(pupil.pk, []):
                    _add(subject.classes, name)
        elif hasattr(account, "staff"):
            subject.holder = str(account.staff)
            subject.schools = staff_schools.get(account.staff.pk, [])
        subjects.append(subject)
    return subjects


def city_staff_list() -> QuerySet[User]:
    """The city's own staff accounts, with their role and state (the managers' page)."""
    return User.objects.filter(kind=User.Kind.CITY).order_by("login")
