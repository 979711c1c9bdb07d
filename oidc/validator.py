"""django-oauth-toolkit's request validator, with entaix's rules (`OAUTH2_VALIDATOR_CLASS`).

- the claims are entaix's (oidc/claims.py): `sub` is the account's `public_id`, never its pk;
- the account is checked again on every code exchange, refresh and userinfo call
  (`account_may_sign_in`): deactivated, locked or purged accounts get nothing, even with a
  token issued before;
- each code exchanged for tokens is a sign-in, recorded with the client and the scopes given;
- the grant behind a code is read once per token request (the toolkit reads it six times),
  locked (`SELECT … FOR UPDATE`) in the token request's one transaction (oidc/views.py,
  `TokenView`): two requests racing with the same code are served one after the other, and the
  second finds no grant (`invalid_grant`), so a code never gives two sets of tokens;
- the ID token just signed is not read back from the database (the toolkit verifies its own
  signature and loads the client and the row again to link the access token to it).
"""

import json
from collections import OrderedDict

from django.db import router, transaction
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import utils

from oidc import services
from oidc.claims import CLAIMS_SUPPORTED, claims_for
from oidc.selectors import account_may_sign_in


class EntaixValidator(OAuth2Validator):
    # Claims are chosen scope by scope in claims_for, not by the toolkit's table.
    oidc_claim_scope = None

    def get_oidc_claims(self, token, token_handler, request):
        return claims_for(account=request.user, scopes=request.scopes, client=request.client)

    def get_discovery_claims(self, request):
        return list(CLAIMS_SUPPORTED)

    # --- the grant, read once per request (codes are unique) ---------------------------------
    @staticmethod
    def _grant(code, request):
        cached = getattr(request, "_entaix_grant", None)
        if cached is None or cached.code != code:
            grants = get_grant_model().objects.select_related("user")
            cached = grants.select_for_update(of=("self",)).filter(code=code).first()
            request._entaix_grant = cached
        return cached

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return utils.scope_to_list(grant.scope) if grant and grant.scope else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._grant(code, request)
        if grant is None or grant.application_id != client.pk or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return account_may_sign_in(request.user)

    def get_code_challenge(self, code, request):
        grant = self._grant(code, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code, request):
        grant = self._grant(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *a, **kw):
        grant = self._grant(code, request)
        return grant is not None and grant.redirect_uri_allowed(redirect_uri)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant else None

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        return super().validate_refresh_token(
            refresh_token, client, request, *args, **kwargs
        ) and account_may_sign_in(request.user)

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if account_may_sign_in(request.user):
            return True
        request.oauth2_error = OrderedDict(
            [("error", "invalid_token"), ("error_description", _("The access token is invalid."))]
        )
        return False

    def save_bearer_token(self, token, request, *args, **kwargs):
        # Already inside the token request's transaction (TokenView): no savepoint of its own;
        # an error rolls the whole request back.
        using = router.db_for_write(get_access_token_model())
        with transaction.atomic(using=using, savepoint=False):
            return self._save_bearer_token(token, request, *args, **kwargs)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # The toolkit's, except that the ID token is the one finalize_id_token saved on this
        # request, rather than read back from its serialised form (a signature check and two
        # queries).
        issued = getattr(request, "id_token", None)
        if token.get("id_token") and not isinstance(issued, get_id_token_model()):
            return super()._create_access_token(expires, request, token, source_refresh_token)
        id_token = issued if token.get("id_token") else None
        access_token = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _save_bearer_token(self, token, request, *args, **kwargs):
        super()._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code":
            services.sign_in_record(
                account=request.user, client=request.client, scopes=request.scopes
            )
