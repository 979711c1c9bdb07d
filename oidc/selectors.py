"""Reads of the OpenID Connect provider: who may sign in, the persons behind an account (open
schools only), the registered clients, and which clients received a person's data."""

from django.db.models import Count, Max, Min, Prefetch, QuerySet

from accounts.models import User
from oidc.models import Client, SignIn
from schools.kinds import PersonKind
from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    PupilClass,
    Staff,
    StaffAssignment,
    StaffClass,
)

# Claims are built at every code exchange, refresh and userinfo call: only the columns they use.
_CLASS_COLUMNS = ("school_class__code", "school_class__name", "school_class__kind")


def account_may_sign_in(account) -> bool:
    """Checked on every authorization, code exchange, refresh and userinfo call: an active,
    unlocked account of a person of the directory. A deactivated account (left, school closed),
    a locked one (an upheld opposition, a hand decision) or a purged one (no row) cannot; city
    staff accounts are the portal's, not the ENT's."""
    return bool(
        account is not None
        and getattr(account, "is_authenticated", False)
        and account.is_active
        and account.locked_at is None
        and account.kind in PersonKind.values
    )


def _open(prefix: str = "") -> dict:
    return {f"{prefix}school__ent_open": True, f"{prefix}school__left_at__isnull": True}


def pupil_for_account(*, account: User) -> Pupil | None:
    """The account's pupil, present in an open school, with its present classes."""
    return (
        Pupil.objects.filter(account=account, left_at__isnull=True, **_open())
        .select_related("school")
        .prefetch_related(
            Prefetch(
                "class_links",
                queryset=PupilClass.objects.filter(school_class__left_at__isnull=True)
                .select_related("school_class")
                .only("pupil", "school_class", *_CLASS_COLUMNS)
                .order_by("school_class__kind", "school_class__name"),
                to_attr="present_classes",
            )
        )
        .first()
    )


def guardian_children_links(*, account: User) -> tuple[Guardian | None, list[GuardianLink]]:
    """The account's guardian and their present links with parental authority to present pupils
    of open schools, each with the child's account, school and present classes. Two queries
    (the links with their guardian, the classes); the guardian alone when there is no link.
    Only the columns the claims use are read."""
    links = list(
        GuardianLink.objects.filter(
            guardian__account=account, guardian__left_at__isnull=True, left_at__isnull=True,
            legal__gt=0, pupil__left_at__isnull=True, **_open("pupil__"),
        )
        .select_related("guardian", "pupil__school", "pupil__account")
        .only(
            "guardian__join_key", "pupil__school__uai", "pupil__school__name",
            "pupil__account__public_id", "pupil__account__is_active",
        )
        .prefetch_related(
            Prefetch(
                "pupil__class_links",
                queryset=PupilClass.objects.filter(school_class__left_at__isnull=True)
                .select_related("school_class")
                .only("pupil", "school_class", *_CLASS_COLUMNS)
                .order_by("school_class__kind", "school_class__name"),
                to_attr="present_classes",
            )
        )
        .order_by("pupil__school__uai", "pupil_id")
    )  # fmt: skip
    if links:
        return links[0].guardian, links
    return Guardian.objects.filter(account=account, left_at__isnull=True).first(), []


def staff_for_account(
    *, account: User
) -> tuple[Staff | None, list[StaffAssignment], list[StaffClass]]:
    """The account's staff member, their assignments in open schools and present classes. Two
    queries (the assignments with their staff member, the classes); three without assignment."""
    present = {"staff__account": account, "staff__left_at__isnull": True}
    assignments = list(
        StaffAssignment.objects.filter(**present, **_open())
        .select_related("staff", "school")
        .order_by("school__uai")
    )
    classes = list(
        StaffClass.objects.filter(
            **present, school_class__left_at__isnull=True, **_open("school_class__")
        )
        .select_related("school_class__school")
        .order_by("school_class__school__uai", "school_class__kind", "school_class__name")
    )
    if assignments:
        return assignments[0].staff, assignments, classes
    staff = Staff.objects.filter(account=account, left_at__isnull=True).first()
    return staff, [], classes


def client_list() -> QuerySet[Client]:
    """Every registered client, with how many sign-ins it had."""
    return (
        Client.objects.select_related("created_by")
        .annotate(sign_in_count=Count("sign_ins"))
        .order_by("-is_active", "name")
    )


def clients_for_account(*, account_id: int | None) -> list[dict]:
    """The services a person signed in to, so received data about them: for the access export
    (privacy). One line per client, with the first and last sign-in and the scopes given."""
    if account_id is None:
        return []
    rows = (
        SignIn.objects.filter(account_id=account_id)
        .values("client_id", "client__name", "client__client_id")
        .annotate(first=Min("at"), last=Max("at"), count=Count("id"))
        .order_by("client__name", "client_id")
    )
    scopes: dict[int, set[str]] = {}
    for client_id, given in SignIn.objects.filter(account_id=account_id).values_list(
        "client_id", "scopes"
    ):
        scopes.setdefault(client_id, set()).update(given.split())
    order = ["openid", "profile", "email", "ent", "aaf"]
    return [
        {
            "client": row["client__name"],
            "client_id": row["client__client_id"],
            "first_sign_in": row["first"],
            "last_sign_in": row["last"],
            "sign_ins": row["count"],
            "scopes": [s for s in order if s in scopes.get(row["client_id"], set())],
        }
        for row in rows
    ]


def account_rows(*, account_id: int | None) -> dict[str, QuerySet]:
    """For the access export: the rows of each provider table about this account."""
    from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

    return {
        "oidc.signin": SignIn.objects.filter(account_id=account_id).order_by("pk"),
        "oauth2_provider.grant": Grant.objects.filter(user_id=account_id).order_by("pk"),
        "oauth2_provider.accesstoken": AccessToken.objects.filter(user_id=account_id).order_by(
            "pk"
        ),
        "oauth2_provider.refreshtoken": RefreshToken.objects.filter(user_id=account_id).order_by(
            "pk"
        ),
        "oauth2_provider.idtoken": IDToken.objects.filter(user_id=account_id).order_by("pk"),
    }
