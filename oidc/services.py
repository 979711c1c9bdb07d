"""Writes of the OpenID Connect provider: registering and changing clients, recording
sign-ins, revoking the tokens of deactivated accounts, purging expired records."""

import datetime
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    AccessToken,
    Grant,
    IDToken,
    RefreshToken,
    clear_expired,
)

from accounts.audit import audit_objects
from oidc.audit import Event
from oidc.models import Client, SignIn

logger = logging.getLogger(__name__)

CLIENT_FIELDS = (
    "name", "redirect_uris", "post_logout_redirect_uris", "client_type", "allowed_scopes",
    "skip_authorization", "aaf_convention", "is_active",
)  # fmt: skip


def _scopes_text(scopes: Iterable[str]) -> str:
    from oidc.scopes import SCOPES

    wanted = set(scopes)
    return " ".join(name for name in SCOPES if name in wanted)


@transaction.atomic
def client_create(*, actor, **fields) -> tuple[Client, str]:
    """Register a client (authorization code with PKCE, RS256 ID tokens). Returns the client
    and its secret in clear: shown once, stored hashed."""
    secret = generate_client_secret()
    client = Client(
        **{name: fields[name] for name in CLIENT_FIELDS if name in fields},
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        algorithm=Client.RS256_ALGORITHM,
        client_secret=secret,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    client.allowed_scopes = _scopes_text(fields.get("allowed_scopes", "openid").split())
    client.full_clean(exclude=["client_secret"])
    client.save()
    audit_objects(event=Event.CLIENT_REGISTERED, model=Client, ids=[client.pk], actor=actor)
    logger.info("oidc client %s registered by account %s", client.pk, getattr(actor, "pk", None))
    return client, secret


@transaction.atomic
def client_update(*, client: Client, actor, **fields) -> Client:
    """Change a client; deactivating it revokes every token it holds."""
    was_active = client.is_active
    for name in CLIENT_FIELDS:
        if name in fields:
            setattr(client, name, fields[name])
    client.allowed_scopes = _scopes_text(client.allowed_scopes.split())
    client.full_clean(exclude=["client_secret"])
    client.save()
    if was_active and not client.is_active:
        _tokens_delete(client_ids=[client.pk])
        audit_objects(event=Event.CLIENT_DEACTIVATED, model=Client, ids=[client.pk], actor=actor)
    logger.info("oidc client %s changed by account %s", client.pk, getattr(actor, "pk", None))
    return client


@transaction.atomic
def client_secret_renew(*, client: Client, actor) -> str:
    """A new secret (the old one stops working at once). Returns it in clear, shown once."""
    secret = generate_client_secret()
    client.client_secret = secret
    client.save(update_fields=["client_secret", "updated"])
    audit_objects(event=Event.CLIENT_SECRET_RENEWED, model=Client, ids=[client.pk], actor=actor)
    logger.info("oidc client %s: secret renewed by account %s", client.pk, actor.pk)
    return secret


def sign_in_record(*, account, client: Client, scopes: Iterable[str]) -> SignIn:
    """Called by the validator inside the token endpoint's transaction."""
    sign_in = SignIn.objects.create(account=account, client=client, scopes=_scopes_text(scopes))
    logger.info("oidc sign-in: account %s to client %s", account.pk, client.pk)
    return sign_in


def _tokens_delete(*, account_ids: Sequence[int] = (), client_ids: Sequence[int] = ()) -> int:
    """Delete access tokens, ID tokens and grants; mark refresh tokens revoked."""
    if account_ids:
        owner = {"user_id__in": list(account_ids)}
    else:
        owner = {"application_id__in": list(client_ids)}
    now = timezone.now()
    revoked = RefreshToken.objects.filter(revoked__isnull=True, **owner).update(
        revoked=now, updated=now, access_token=None
    )
    deleted = AccessToken.objects.filter(**owner).delete()[0]
    IDToken.objects.filter(**owner).delete()
    Grant.objects.filter(**owner).delete()
    return revoked + deleted


def account_tokens_revoke(*, account_ids: Sequence[int]) -> int:
    """The hook `accounts.hooks.accounts_deactivated` calls, inside its transaction."""
    count = _tokens_delete(account_ids=account_ids)
    if count:
        logger.info("oidc tokens revoked for %s deactivated accounts", len(account_ids))
    return count


def oidc_records_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Expired tokens (the toolkit's clear_expired) and sign-ins older than
    LOGIN_RECORD_RETENTION_DAYS, like the portal's own login records."""
    now = now or timezone.now()
    clear_expired()
    cutoff = now - datetime.timedelta(days=settings.LOGIN_RECORD_RETENTION_DAYS)
    deleted = SignIn.objects.filter(at__lt=cutoff).delete()[0]
    logger.info("oidc records purge: %s sign-ins deleted", deleted)
    return {"sign_ins": deleted}
