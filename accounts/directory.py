"""What services outside entaix see of an ENT account, and when that last changed.

SCIM clients (the ENT, the city's school services) read accounts with their memberships and
sync incrementally with `meta.lastModified gt …`. The import writes persons with bulk SQL (COPY,
UPDATE … FROM unnest), so no single write path could be trusted to bump a timestamp. Instead,
each account keeps a digest of its exported state (`User.directory_digest`): `directory_refresh`
recomputes it from the database and moves `directory_modified_at` for exactly the accounts
whose state differs. `account_sync` calls it after every import, school opening and closing;
the account services that change an exported field (e-mail confirmed, lock, reset…) call it
for their accounts.

The exported state, in one place (`_state`, `memberships`): login, names, kind, whether the
account is active, the e-mail once confirmed, whether a staff member teaches, and the schools
and classes the person belongs to now (a guardian: those of their children under their parental
authority). Change one of these and the digest changes.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from schools.kinds import PersonKind
from schools.models import GuardianLink, Pupil, PupilClass, StaffAssignment, StaffClass

FEED_KINDS = tuple(PersonKind.values)  # the directory's people: every account but the city's

# Apps above (scim) that keep state derived from the directory (its groups' versions) register
# here from their `ready()`: `callback(account_ids=…)` runs after each refresh, in its
# transaction, with the accounts whose state changed (None: a refresh of every account, which
# follows every import, where schools and classes may have changed too).
_after_refresh: list[Callable[..., object]] = []


def directory_refresh_register(callback: Callable[..., object]) -> None:
    if callback not in _after_refresh:
        _after_refresh.append(callback)


CHUNK = 5000

_OPEN = {"ent_open": True, "left_at__isnull": True}


def _open(prefix: str) -> Q:
    return Q(**{f"{prefix}{k}": v for k, v in _OPEN.items()})


def membership_querysets(account_ids: Sequence[int] | None = None) -> list[QuerySet]:
    """(account_id, school_id, class_id or None) of every current membership: a present pupil
    in its school and classes, a guardian (link with authority) in their children's, staff in
    their assignments' and classes'; open schools only, left classes left out."""
    present_class = Q(school_class__left_at__isnull=True)
    pupil = Q(pupil__left_at__isnull=True, pupil__account__isnull=False) & _open("pupil__school__")
    link = Q(
        left_at__isnull=True,
        legal__gt=0,
        guardian__left_at__isnull=True,
        guardian__account__isnull=False,
        pupil__left_at__isnull=True,
    ) & _open("pupil__school__")
    staff = Q(staff__left_at__isnull=True, staff__account__isnull=False)
    none = Value(None, output_field=PupilClass._meta.pk)
    sets = [
        Pupil.objects.filter(Q(left_at__isnull=True, account__isnull=False) & _open("school__"))
        .annotate(a=F("account_id"), s=F("school_id"), c=none)
        .values_list("a", "s", "c"),
        PupilClass.objects.filter(pupil, present_class)
        .annotate(a=F("pupil__account_id"), s=F("school_class__school_id"), c=F("school_class_id"))
        .values_list("a", "s", "c"),
        GuardianLink.objects.filter(link)
        .annotate(a=F("guardian__account_id"), s=F("pupil__school_id"), c=none)
        .values_list("a", "s", "c"),
        GuardianLink.objects.filter(link, pupil__class_links__school_class__left_at__isnull=True)
        .annotate(
            a=F("guardian__account_id"),
            s=F("pupil__school_id"),
            c=F("pupil__class_links__school_class_id"),
        )
        .values_list("a", "s", "c"),
        StaffAssignment.objects.filter(staff & _open("school__"))
        .annotate(a=F("staff__account_id"), s=F("school_id"), c=none)
        .values_list("a", "s", "c"),
        StaffClass.objects.filter(staff, present_class, _open("school_class__school__"))
        .annotate(a=F("staff__account_id"), s=F("school_class__school_id"), c=F("school_class_id"))
        .values_list("a", "s", "c"),
    ]
    if account_ids is not None:
        sets = [qs.filter(a__in=account_ids) for qs in sets]
    # No default ordering (Pupil's), which a UNION cannot carry.
    return [qs.order_by() for qs in sets]


def memberships(account_ids: Sequence[int]) -> dict[int, set[tuple[int, int | None]]]:
    """{account_id: {(school_id, None), (school_id, class_id)…}} for these accounts."""
    result: dict[int, set[tuple[int, int | None]]] = defaultdict(set)
    first, *rest = membership_querysets(account_ids)
    for account_id, school_id, class_id in first.union(*rest, all=True).order_by():
        result[account_id].add((school_id, class_id))
    return result


def _accounts(account_ids: Sequence[int] | None) -> QuerySet:
    users = User.objects.filter(kind__in=FEED_KINDS)
    if account_ids is not None:
        users = users.filter(pk__in=account_ids)
    return users.annotate(
        teacher=Coalesce(F("staff__is_teacher"), Value(False)),
    ).order_by("pk")


def _state(row: tuple, groups: Iterable[tuple[int, int | None]]) -> bytes:
    _pk, login, first, last, kind, active, email, confirmed, teacher = row[:9]
    parts = [
        login,
        first,
        last,
        kind,
        "1" if active else "0",
        email if confirmed is not None else "",
        "1" if teacher else "0",
        ",".join(f"{s}:{c or ''}" for s, c in sorted(groups, key=lambda g: (g[0], g[1] or 0))),
    ]
    return "\x1f".join(parts).encode()


def _digest(state: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(state, digest_size=8).digest(), "big", signed=True)


_FIELDS = (
    "pk", "login", "first_name", "last_name", "kind", "is_active", "email",
    "email_confirmed_at", "teacher", "directory_digest", "directory_schools", "directory_classes",
)  # fmt: skip


def _rows(account_ids: Sequence[int] | None) -> Iterator[tuple[tuple, set]]:
    """Each account with its memberships. Some accounts: a page of them at a time. Every
    account (after an import): two streams ordered by account, merged here — two scans of the
    directory instead of a membership query per page (memory stays flat either way)."""
    if account_ids is None:
        yield from _merged()
        return
    after = 0
    while True:
        chunk = list(_accounts(account_ids).filter(pk__gt=after).values_list(*_FIELDS)[:CHUNK])
        if not chunk:
            return
        groups = memberships([row[0] for row in chunk])
        for row in chunk:
            yield row, groups.get(row[0], set())
        after = chunk[-1][0]


def _merged() -> Iterator[tuple[tuple, set]]:
    first, *rest = membership_querysets()
    links = first.union(*rest, all=True).order_by("a", "s", "c").iterator(chunk_size=CHUNK)
    link = next(links, None)
    for row in _accounts(None).values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        pk, groups = row[0], set()
        while link is not None and link[0] <= pk:
            if link[0] == pk:
                groups.add((link[1], link[2]))
            link = next(links, None)
        yield row, groups


def directory_refresh(*, account_ids: Sequence[int] | None = None) -> list[int]:
    """Recompute the exported state's digest of these accounts (None: every account of the
    feed) and stamp `directory_modified_at` on those whose state changed; returns their ids.
    The groups (`directory_schools`, `directory_classes`) are written with the digest (also
    where only they lag, as after their column was added).
    Call it in the transaction that changed them: a second call changes nothing.

    Streamed: the accounts are read in pages and written back by batches of `WRITE_BATCH`,
    so memory holds one batch (and the changed ids), not the directory."""
    changed: list[int] = []
    now = timezone.now()
    writes: list[tuple[int, int, list[int], list[int], bool]] = []
    for row, groups in _rows(account_ids):
        digest = _digest(_state(row, groups))
        schools = sorted({s for s, _c in groups})
        classes = sorted({c for _s, c in groups if c is not None})
        modified = digest != row[9]
        if modified:
            changed.append(row[0])
        if modified or schools != row[10] or classes != row[11]:
            writes.append((row[0], digest, schools, classes, modified))
            if len(writes) >= WRITE_BATCH:
                _write(writes, now)
                writes = []
    if writes:
        _write(writes, now)
    for callback in _after_refresh:
        callback(account_ids=None if account_ids is None else changed)
    return changed


WRITE_BATCH = CHUNK


def _write(writes: list[tuple[int, int, list[int], list[int], bool]], now) -> None:
    """Everything the refresh writes for these accounts (digest, groups and, where the digest
    changed, `directory_modified_at`) in ONE UPDATE: each row is rewritten once, and a row
    whose values are already these is not rewritten at all (`IS DISTINCT FROM`). Arrays travel
    as their text form (a parameter of arrays of unequal length is no PostgreSQL array).
    Elsewhere (the demo's SQLite) through the ORM, which stores the lists as the field does
    there."""
    if connection.vendor != "postgresql":
        now_fields = ["directory_digest", "directory_schools", "directory_classes"]
        for fields, rows in (
            ([*now_fields, "directory_modified_at"], [w for w in writes if w[4]]),
            (now_fields, [w for w in writes if not w[4]]),
        ):
            accounts = [
                User(pk=w[0], directory_digest=w[1], directory_schools=w[2],
                     directory_classes=w[3], directory_modified_at=now)
                for w in rows
            ]  # fmt: skip
            User.objects.bulk_update(accounts, fields, batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user AS u SET directory_digest = v.digest,"
            " directory_schools = v.schools::bigint[], directory_classes = v.classes::bigint[],"
            " directory_modified_at = CASE WHEN v.modified THEN %s"
            " ELSE u.directory_modified_at END"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::boolean[])"
            " AS v(id, digest, schools, classes, modified)"
            " WHERE u.id = v.id AND (v.modified"
            " OR u.directory_digest IS DISTINCT FROM v.digest"
            " OR u.directory_schools IS DISTINCT FROM v.schools::bigint[]"
            " OR u.directory_classes IS DISTINCT FROM v.classes::bigint[])",
            [
                now,
                [w[0] for w in writes],
                [w[1] for w in writes],
                ["{" + ",".join(map(str, w[2])) + "}" for w in writes],
                ["{" + ",".join(map(str, w[3])) + "}" for w in writes],
                [w[4] for w in writes],
            ],
        )
