"""Reads for SCIM: the client behind a token, and what a client may see.

A client sees the accounts of the feed (pupils, guardians, staff) of the open schools it
serves — a pupil of one, a guardian with parental authority over a present child of one, a
staff member assigned to one — and keeps seeing, as inactive, those it already received who
left or moved out of its schools, or whose account was since deleted (`ScimRemoval`). Its
groups are its open schools and their present classes.
"""

import hashlib
import heapq
from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import islice
from operator import itemgetter

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Trim

from accounts.directory import FEED_KINDS, membership_querysets
from accounts.models import User
from entaix.common.fields import PortableArrayField
from schools.models import School, SchoolClass

from .groups import GroupRef, class_group_id, school_group_id
from .models import ScimClient, ScimDelivery, ScimGroupState, ScimRemoval

# What a listing reads of each account (or removal, `scim_removals_for_client`), in this order.
# `key` orders them (the account's id) and `removed` tells a removal.
USER_FIELDS = (
    "key", "public_id", "login", "first_name", "last_name", "kind", "is_active", "email",
    "email_confirmed_at", "date_joined", "modified", "teacher", "in_scope", "removed",
    "directory_schools", "directory_classes",
)  # fmt: skip


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scim_client_for_token(token: str) -> ScimClient | None:
    """The active client holding this token (looked up by its digest: no clear token kept)."""
    if not token:
        return None
    return ScimClient.objects.filter(token_digest=token_digest(token), is_active=True).first()


def served_school_ids(client: ScimClient) -> list[int]:
    """The client's schools that are open and present: the only ones it reads."""
    return list(
        client.schools.filter(ent_open=True, left_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def scim_users_for_client(
    client: ScimClient, *, school_ids: Sequence[int], after: int = 0
) -> QuerySet:
    """Every account the client may read, annotated with `USER_FIELDS`, in a stable order.

    In scope: a current member (`User.directory_schools`, kept by `directory_refresh`) of a
    school the client serves. Also shown: those it received (a delivery row), as inactive once
    out of scope. Both are read on the account's row (an array overlap, a join on the
    delivery's unique index), so a page reads its rows and no more. `after`: only accounts
    after this id (a cursor), also told to the join so that it starts there too."""
    return (
        User.objects.filter(kind__in=FEED_KINDS, pk__gt=after)
        .annotate(
            delivery=FilteredRelation(
                "scim_deliveries",
                condition=Q(scim_deliveries__client=client, scim_deliveries__account__gt=after),
            )
        )
        .annotate(
            key=F("pk"),
            in_scope=ExpressionWrapper(
                Q(directory_schools__overlap=list(school_ids)), output_field=BooleanField()
            ),
            modified=Coalesce("directory_modified_at", "date_joined"),
            teacher=Coalesce(F("staff__is_teacher"), Value(False)),
            removed=Value(False),
        )
        .filter(Q(in_scope=True) | Q(delivery__isnull=False))
        .alias(display=Trim(Concat("first_name", Value(" "), "last_name")))
        .order_by("pk")
    )


def scim_removals_for_client(client: ScimClient) -> QuerySet:
    """The deleted accounts this client had received (`models.ScimRemoval`), annotated with
    the names of `USER_FIELDS` (and of what filters read), so that one filter and one listing
    serve both: no name, no login (`userName` is the id), never in scope."""
    text, no_text = CharField(), Value("", output_field=CharField())
    no = Value(False, output_field=BooleanField())
    return (
        ScimRemoval.objects.filter(client=client)
        .annotate(
            key=F("account_key"),
            login=Cast("public_id", output_field=text),
            first_name=no_text,
            last_name=no_text,
            kind=no_text,
            is_active=no,
            email=no_text,
            email_confirmed_at=Value(None, output_field=DateTimeField()),
            date_joined=Value(None, output_field=DateTimeField()),
            modified=F("removed_at"),
            teacher=no,
            in_scope=no,
            removed=Value(True, output_field=BooleanField()),
            directory_schools=Value([], output_field=PortableArrayField(BigIntegerField())),
            directory_classes=Value([], output_field=PortableArrayField(BigIntegerField())),
        )
        .alias(display=no_text)
        .order_by("account_key")
    )


def scim_user_rows(
    client: ScimClient, *, school_ids: Sequence[int], where: Q | None = None, after: int = 0
) -> tuple[QuerySet, QuerySet]:
    """(accounts, removals) the client may read, matching `where` (a filter over the names
    of `USER_FIELDS`), after a key, as `USER_FIELDS` values, each in key order."""
    users = scim_users_for_client(client, school_ids=school_ids, after=after)
    removals = scim_removals_for_client(client).filter(account_key__gt=after)
    if where is not None:
        users, removals = users.filter(where), removals.filter(where)
    return users.values(*USER_FIELDS), removals.values(*USER_FIELDS)


def scim_user_page(
    client: ScimClient,
    *,
    school_ids: Sequence[int],
    where: Q | None = None,
    after: int | None = None,
    offset: int = 0,
    limit: int,
    accounts: int | None = None,
) -> list[dict]:
    """One page of accounts and removals. After a key (a cursor): both in key order, two
    queries each reading `limit` rows along its index, merged here. From an offset
    (startIndex): the accounts in id order, then the removals (few), placed by the number of
    accounts (`accounts`, else counted here): two queries on every page."""
    users, removals = scim_user_rows(client, school_ids=school_ids, where=where, after=after or 0)
    if after is not None:
        merged = heapq.merge(users[:limit], removals[:limit], key=itemgetter("key"))
        return list(islice(merged, limit))
    if accounts is None:
        accounts = users.count()
    rows = list(users[offset : offset + limit]) if offset < accounts else []
    start = max(offset - accounts, 0)
    wanted = limit - len(rows)
    # Always one query for the removals (an empty slice would skip it): trimmed here.
    rows += list(removals[start : start + max(wanted, 1)])[:wanted]
    return rows


def scim_user_counts(
    client: ScimClient, *, school_ids: Sequence[int], where: Q | None
) -> tuple[int, int]:
    """(accounts, removals) the client may read, matching `where`."""
    users, removals = scim_user_rows(client, school_ids=school_ids, where=where)
    return users.count(), removals.count()


def scim_groups_for_client(*, school_ids: Sequence[int]) -> list[GroupRef]:
    """The client's groups: each served school, then its present classes and groups."""
    schools = dict(
        School.objects.filter(pk__in=school_ids).order_by("uai").values_list("pk", "uai")
    )
    names = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "name"))
    classes = defaultdict(list)
    for pk, school_id, kind, code, name in (
        SchoolClass.objects.filter(school_id__in=school_ids, left_at__isnull=True)
        .order_by("kind", "code")
        .values_list("pk", "school_id", "kind", "code", "name")
    ):
        classes[school_id].append((pk, kind, code, name))
    result = []
    for school_id, uai in schools.items():
        school_group = school_group_id(uai)
        result.append(
            GroupRef(school_group, school_id, None, uai, "school", names[school_id], None)
        )
        result += [
            GroupRef(class_group_id(uai, kind, code), school_id, pk, uai, kind, name, school_group)
            for pk, kind, code, name in classes[school_id]
        ]
    return result


def group_states(groups: Sequence[GroupRef]) -> dict[tuple[int, int | None], tuple]:
    """{(school_id, class_id): (created, modified)} of these groups."""
    school_ids = {g.school_id for g in groups}
    return {
        (school_id, class_id): (created, modified)
        for school_id, class_id, created, modified in ScimGroupState.objects.filter(
            school_id__in=school_ids
        ).values_list("school_id", "school_class_id", "created_at", "modified_at")
    }


def group_members(groups: Sequence[GroupRef]) -> dict[tuple[int, int | None], list[str]]:
    """{(school_id, class_id): [public ids]} of the members of these groups (current members:
    present, active accounts), sorted."""
    school_ids = sorted({g.school_id for g in groups})
    rows = list(memberships_by_school(school_ids))
    public = dict(
        User.objects.filter(pk__in={a for a, _s, _c in rows}, is_active=True).values_list(
            "pk", "public_id"
        )
    )
    result: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    for account_id, school_id, class_id in rows:
        if account_id in public:
            result[(school_id, class_id)].add(str(public[account_id]))
    return {key: sorted(ids) for key, ids in result.items()}


def memberships_by_school(school_ids: Sequence[int]) -> Iterator[tuple[int, int, int | None]]:
    """(account_id, school_id, class_id) of the current memberships in these schools."""
    first, *rest = [qs.filter(s__in=school_ids) for qs in membership_querysets()]
    return first.union(*rest, all=True).order_by().iterator(chunk_size=5000)


def memberships_by_group(school_ids: Sequence[int]) -> Iterator[tuple[int, int | None, int]]:
    """(school_id, class_id, account_id) of the current memberships in these schools, ordered
    by group then account (a group's members arrive together, so a reader holds one group)."""
    first, *rest = [qs.filter(s__in=school_ids) for qs in membership_querysets()]
    union = first.union(*rest, all=True).order_by("s", "c", "a")
    for account_id, school_id, class_id in union.iterator(chunk_size=5000):
        yield school_id, class_id, account_id


def user_groups(rows: Sequence[dict], *, school_ids: Sequence[int]) -> dict[int, list[GroupRef]]:
    """{account key: [served groups]} for a page of `USER_FIELDS` rows: their schools and
    classes read from the rows, the groups' names from two queries for the whole page."""
    served = set(school_ids)
    wanted_schools = {s for r in rows for s in r["directory_schools"]} & served
    wanted_classes = {c for r in rows for c in r["directory_classes"]}
    if not wanted_schools:
        return {}
    schools = {
        pk: (uai, name)
        for pk, uai, name in School.objects.filter(pk__in=wanted_schools).values_list(
            "pk", "uai", "name"
        )
    }
    refs: dict[tuple[int, int | None], GroupRef] = {
        (pk, None): GroupRef(school_group_id(uai), pk, None, uai, "school", name, None)
        for pk, (uai, name) in schools.items()
    }
    for pk, school_id, kind, code, name in SchoolClass.objects.filter(
        pk__in=wanted_classes, school_id__in=schools, left_at__isnull=True
    ).values_list("pk", "school_id", "kind", "code", "name"):
        uai = schools[school_id][0]
        refs[(school_id, pk)] = GroupRef(
            class_group_id(uai, kind, code), school_id, pk, uai, kind, name, school_group_id(uai)
        )
    by_class = {key[1]: ref for key, ref in refs.items() if key[1] is not None}
    result: dict[int, list[GroupRef]] = {}
    for row in rows:
        mine = [refs[(s, None)] for s in row["directory_schools"] if (s, None) in refs]
        mine += [by_class[c] for c in row["directory_classes"] if c in by_class]
        if mine:
            result[row["key"]] = sorted(mine, key=lambda g: (g.uai, g.class_id or 0))
    return result


def scim_recipients_for_account(*, account_id: int | None) -> list[dict]:
    """The SCIM clients that received this account's data, with the first and latest time
    (for the access export, privacy)."""
    if account_id is None:
        return []
    rows = (
        ScimDelivery.objects.filter(account_id=account_id)
        .order_by("client__name")
        .values("client__name", "first_sent_at", "last_sent_at")
    )
    return [dict(row) for row in rows]


def scim_deliveries_for_account(*, account_id: int | None) -> QuerySet:
    """The delivery rows of one account (the access export's table of them)."""
    return ScimDelivery.objects.filter(account_id=account_id).order_by("pk")
