"""An independent OpenID Connect relying party, built with Authlib (not with entaix's code): a
tiny WSGI application on loopback, for the end-to-end test.

/login starts the authorization code flow with PKCE (S256) and a nonce; /callback exchanges
the code, verifies the ID token's signature against the provider's JWKS and its claims (iss,
aud, nonce, exp) with joserfc (Authlib's JOSE library), then reads userinfo; /logout sends
the browser to the provider's end_session_endpoint; /bye is where it comes back. What it saw
is kept in `results`.
"""

import secrets
import threading
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class RelyingParty:
    def __init__(self, *, issuer: str, scope: str):
        self.issuer = issuer
        self.scope = scope
        self.client_id = ""
        self.client_secret = ""
        self.results: dict = {}
        self._pending: dict[str, dict] = {}
        self._server = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # --- the provider, as any client finds it ---------------------------------------------
    def _http(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # loopback only, never a proxy from the environment
        return session

    def metadata(self) -> dict:
        return self._http().get(f"{self.issuer}/.well-known/openid-configuration").json()

    def _oauth(self, **kwargs) -> OAuth2Session:
        session = OAuth2Session(
            self.client_id, self.client_secret, scope=self.scope,
            redirect_uri=f"{self.url}/callback", code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic", **kwargs,
        )  # fmt: skip
        session.trust_env = False
        return session

    # --- the WSGI application -------------------------------------------------------------
    def app(self, environ, start_response):
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if path == "/login":
                return self._redirect(start_response, self._login())
            if path == "/callback":
                self._callback(environ, query)
                return self._page(start_response, "Connecté")
            if path == "/logout":
                return self._redirect(start_response, self._logout())
            if path == "/bye":
                self.results["logged_out_state"] = query.get("state")
                return self._page(start_response, "Déconnecté")
        except Exception as exc:  # shown to the test, which fails on it
            self.results["error"] = f"{type(exc).__name__}: {exc}"
            return self._page(start_response, "Erreur", status="500 Internal Server Error")
        return self._page(start_response, "Introuvable", status="404 Not Found")

    def _login(self) -> str:
        meta = self.metadata()
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        url, state = self._oauth().create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        self._pending[state] = {"verifier": verifier, "nonce": nonce}
        return url

    def _callback(self, environ, query) -> None:
        if "error" in query:
            self.results["callback_error"] = query["error"]
            return
        pending = self._pending.pop(query["state"])
        meta = self.metadata()
        session = self._oauth(state=query["state"])
        response_url = f"{self.url}/callback?{environ['QUERY_STRING']}"
        token = session.fetch_token(
            meta["token_endpoint"], authorization_response=response_url,
            code_verifier=pending["verifier"],
        )  # fmt: skip
        # joserfc: Authlib's JOSE implementation (authlib.jose is deprecated in its favour).
        keys = KeySet.import_key_set(self._http().get(meta["jwks_uri"]).json())
        id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": meta["issuer"]},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": pending["nonce"]},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
        ).validate(id_token.claims)  # fmt: skip
        self.results["token"] = token
        self.results["id_token_claims"] = dict(id_token.claims)
        self.results["id_token_kid"] = id_token.header["kid"]
        self.results["userinfo"] = session.get(meta["userinfo_endpoint"]).json()

    def _logout(self) -> str:
        meta = self.metadata()
        from urllib.parse import urlencode

        params = {
            "id_token_hint": self.results["token"]["id_token"],
            "client_id": self.client_id,
            "post_logout_redirect_uri": f"{self.url}/bye",
            "state": "au-revoir",
        }
        return f"{meta['end_session_endpoint']}?{urlencode(params)}"

    @staticmethod
    def _redirect(start_response, location: str):
        start_response("302 Found", [("Location", location)])
        return [b""]

    @staticmethod
    def _page(start_response, title: str, status: str = "200 OK"):
        body = f'<!doctype html><html lang="fr"><title>{title}</title><h1>{title}</h1></html>'
        start_response(status, [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]
