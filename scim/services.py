"""Writes of the SCIM app: clients and their tokens, the record of what each client read, and
the groups' versions."""

import hashlib
import logging
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.audit import Event, audit_objects
from accounts.models import User
from schools.models import School

from .models import ScimClient, ScimDelivery, ScimGroupState, ScimRemoval
from .selectors import (
    memberships_by_group,
    scim_groups_for_client,
    token_digest,
)

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


@transaction.atomic
def scim_client_create(
    *, name: str, school_ids: Sequence[int], actor=None
) -> tuple[ScimClient, str]:
    """A client with a new token, returned once (only its digest is kept)."""
    token, digest = _new_token()
    client = ScimClient.objects.create(
        name=name.strip(), token_digest=digest, created_by=actor, token_issued_at=timezone.now()
    )
    client.schools.set(School.objects.filter(pk__in=school_ids))
    audit_objects(event=Event.SCIM_CLIENT_CREATED, model=ScimClient, ids=[client.pk],
                  actor=actor, data={"schools": sorted(school_ids)})  # fmt: skip
    logger.info("SCIM client %s created by account %s", client.pk, getattr(actor, "pk", None))
    return client, token


@transaction.atomic
def scim_client_token_renew(*, client: ScimClient, actor=None) -> str:
    """A new token; the old one stops working at once."""
    token, digest = _new_token()
    client.token_digest = digest
    client.token_issued_at = timezone.now()
    client.save(update_fields=["token_digest", "token_issued_at", "updated_at"])
    audit_objects(event=Event.SCIM_TOKEN_RENEWED, model=ScimClient, ids=[client.pk], actor=actor)
    logger.info("SCIM client %s token renewed by account %s", client.pk, getattr(actor, "pk", None))
    return token


@transaction.atomic
def scim_client_update(
    *, client: ScimClient, school_ids: Sequence[int], is_active: bool, actor=None
) -> ScimClient:
    """Change the schools a client serves, or (de)activate it (its token then stops working)."""
    client.is_active = is_active
    client.save(update_fields=["is_active", "updated_at"])
    client.schools.set(School.objects.filter(pk__in=school_ids))
    audit_objects(event=Event.SCIM_CLIENT_CHANGED, model=ScimClient, ids=[client.pk], actor=actor,
                  data={"schools": sorted(school_ids), "active": is_active})  # fmt: skip
    logger.info("SCIM client %s changed by account %s", client.pk, getattr(actor, "pk", None))
    return client


@transaction.atomic
def scim_read_record(
    *, client: ScimClient, resource_type: str, account_ids: Sequence[int], count: int, query: str
) -> None:
    """One provisioning read: the audit entry (client, resource type, how many records, what
    kind of query) and, per account sent, the delivery (first and latest time)."""
    now = timezone.now()
    if account_ids:
        ScimDelivery.objects.bulk_create(
            [
                ScimDelivery(client=client, account_id=pk, first_sent_at=now, last_sent_at=now)
                for pk in account_ids
            ],
            update_conflicts=True,
            unique_fields=["client", "account"],
            update_fields=["last_sent_at"],
        )
    audit_objects(event=Event.SCIM_READ, model=ScimClient, ids=[client.pk],
                  data={"client": client.pk, "resource": resource_type, "count": count,
                        "query": query})  # fmt: skip
    ScimClient.objects.filter(pk=client.pk).update(last_used_at=now)


@transaction.atomic
def scim_accounts_removed(*, account_ids: Sequence[int]) -> int:
    """These accounts are about to be deleted (privacy: retention purge, upheld erasure, the
    convention's end): each client that received one keeps it as a removal, served inactive
    with its id only, so it deactivates its copy. Call it in the deleting transaction, before
    the delete (the deliveries go with the accounts). Returns how many removals were written."""
    if not account_ids:
        return 0
    now = timezone.now()
    rows = ScimDelivery.objects.filter(account_id__in=account_ids).values_list(
        "client_id", "account_id", "account__public_id"
    )
    created = ScimRemoval.objects.bulk_create(
        [
            ScimRemoval(
                client_id=client_id, account_key=account_id, public_id=public_id, removed_at=now
            )
            for client_id, account_id, public_id in rows.order_by("pk")
        ],
        ignore_conflicts=True,
    )
    return len(created)


def _digest(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


@transaction.atomic
def scim_groups_refresh(*, account_ids: Sequence[int] | None = None) -> int:
    """Recompute every open school's groups' digest (name, members) and stamp those that changed.
    Called after each directory refresh (accounts.directory); returns how many changed.

    A refresh of a few accounts (an e-mail confirmed) cannot change a group unless one of them
    was deactivated: only full refreshes and locks get here with work to do."""
    if account_ids is not None and not account_ids:
        return 0
    if (
        account_ids is not None
        and not User.objects.filter(pk__in=account_ids, is_active=False).exists()
    ):
        return 0
    school_ids = list(
        School.objects.filter(ent_open=True, left_at__isnull=True).values_list("pk", flat=True)
    )
    groups = {(g.school_id, g.class_id): g for g in scim_groups_for_client(school_ids=school_ids)}
    # Streamed one group at a time (members ordered by group): memory holds the groups, the
    # inactive accounts (few) and one group's members, not every membership of the directory.
    inactive = set(User.objects.filter(is_active=False).values_list("pk", flat=True))
    digests: dict[tuple[int, int | None], int] = {}

    def add(key: tuple[int, int | None], members: list[int]) -> None:
        group = groups.get(key)
        if group is not None:
            digests[key] = _digest(f"{group.id}|{group.name}|{','.join(map(str, members))}")

    key: tuple[int, int | None] | None = None
    members: list[int] = []
    for school_id, class_id, account_id in memberships_by_group(school_ids):
        if (school_id, class_id) != key:
            if key is not None:
                add(key, members)
            key, members = (school_id, class_id), []
        if account_id not in inactive and (not members or members[-1] != account_id):
            members.append(account_id)
    if key is not None:
        add(key, members)
    for key in groups.keys() - digests.keys():
        add(key, [])
    digests = {key: digests[key] for key in groups}  # the groups' order, as before
    states = {(s.school_id, s.school_class_id): s for s in ScimGroupState.objects.all()}
    now = timezone.now()
    new = [
        ScimGroupState(
            school_id=key[0], school_class_id=key[1], digest=digest, created_at=now, modified_at=now
        )
        for key, digest in digests.items()
        if key not in states
    ]
    changed = []
    for key, digest in digests.items():
        state = states.get(key)
        if state is not None and state.digest != digest:
            state.digest, state.modified_at = digest, now
            changed.append(state)
    ScimGroupState.objects.bulk_create(new, batch_size=1000)
    ScimGroupState.objects.bulk_update(changed, ["digest", "modified_at"], batch_size=1000)
    return len(new) + len(changed)
