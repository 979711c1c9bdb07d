"""OpenID Connect benchmark: the token endpoint and userinfo, on loopback.

    .venv/bin/python bench/oidc_bench.py            # 200 rounds
    .venv/bin/python bench/oidc_bench.py -n 500

A scratch PostgreSQL database (`OIDCBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_oidcbench) is recreated and migrated, with a school,
a guardian of two children and a trusted client; a fresh RSA key signs the ID tokens. The portal
is served by Django's threaded WSGI server on a free loopback port (test settings: the fast
password hasher does not matter here, no password is checked on these endpoints). One HTTP
client (keep-alive) signs the guardian in once, then N times: gets a code from the
authorization endpoint (not timed), exchanges it at the token endpoint (code + PKCE, an RS256
ID token with every scope's claims), refreshes it, and calls userinfo.

Printed: p50/p95/max in milliseconds of the code exchange, the refresh and userinfo over HTTP.
Then the same three calls in-process (Django's test client), with the queries each makes and
the CPU time of this process (`time.thread_time`: the work of the Python side, not counting
waits for a busy machine's CPU or for PostgreSQL), so that a loaded shared machine can be told
apart from a slow endpoint. The target is p95 ≤ 50 ms; nothing is asserted.
"""

import argparse
import base64
import hashlib
import os
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from benchdb import recreate_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_oidcbench"


def rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<16} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 95):6.1f}"
        f" ms   max {max(values):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="rounds (default 200)")
    args = parser.parse_args()
    db_url = os.environ.get("OIDCBENCH_DATABASE_URL", DEFAULT_DB)
    recreate_database(db_url)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="entaix.settings.test", DATABASE_URL=db_url,
        OIDC_RSA_PRIVATE_KEY=rsa_pem(), OIDC_REDIRECT_SCHEMES="http,https", LOG_LEVEL="WARNING",
    )  # fmt: skip
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    world = setup_world()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *a):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    import requests

    http = requests.Session()
    http.trust_env = False
    login_page = http.get(f"{base}/comptes/login/")
    http.post(f"{base}/comptes/login/", data={
        "username": world["login"], "password": world["password"],
        "csrfmiddlewaretoken": login_page.cookies["csrftoken"],
    }, headers={"Referer": f"{base}/comptes/login/"})  # fmt: skip
    auth = (world["client_id"], world["secret"])
    timings: dict[str, list[float]] = {"token (code)": [], "token (refresh)": [], "userinfo": []}
    for _ in range(args.n):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code", "client_id": world["client_id"],
            "redirect_uri": world["redirect"], "scope": "openid profile email ent",
            "state": "s", "nonce": "n", "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }  # fmt: skip
        location = http.get(f"{base}/oidc/authorize/", params=params, allow_redirects=False)
        code = parse_qs(urlsplit(location.headers["Location"]).query)["code"][0]
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": world["redirect"], "code_verifier": verifier}  # fmt: skip
        tokens = timed(timings["token (code)"], http.post, f"{base}/oidc/token/", data=data,
                       auth=auth).json()  # fmt: skip
        again = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        refreshed = timed(timings["token (refresh)"], http.post, f"{base}/oidc/token/",
                          data=again, auth=auth).json()  # fmt: skip
        bearer = {"Authorization": f"Bearer {refreshed['access_token']}"}
        info = timed(timings["userinfo"], http.get, f"{base}/oidc/userinfo/", headers=bearer)
        assert info.status_code == 200, info.text
    server.shutdown()
    print(f"OpenID Connect on loopback, {args.n} rounds (Django threaded server, test settings)")
    for name, values in timings.items():
        print(line(name, values))
    in_process(world, max(20, args.n // 4))


def in_process(world: dict, rounds: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    http = Client()
    http.force_login(User.objects.get(login=world["login"]))
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(
        f"{world['client_id']}:{world['secret']}".encode()).decode()}  # fmt: skip
    cpu: dict[str, list[float]] = {"token (code)": [], "token (refresh)": [], "userinfo": []}
    queries: dict[str, int] = {}

    def measure(name, call, *a, **kw):
        with CaptureQueriesContext(connection) as captured:
            start = time.thread_time()
            response = call(*a, **kw)
            cpu[name].append((time.thread_time() - start) * 1000)
        queries[name] = len(captured)
        return response

    for _ in range(rounds):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        location = http.get("/oidc/authorize/", {
            "response_type": "code", "client_id": world["client_id"],
            "redirect_uri": world["redirect"], "scope": "openid profile email ent",
            "state": "s", "nonce": "n", "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        })["Location"]  # fmt: skip
        code = parse_qs(urlsplit(location).query)["code"][0]
        exchange = {"grant_type": "authorization_code", "code": code,
                    "redirect_uri": world["redirect"], "code_verifier": verifier}  # fmt: skip
        tokens = measure("token (code)", http.post, "/oidc/token/", exchange, **auth).json()
        refreshed = measure("token (refresh)", http.post, "/oidc/token/", {
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            **auth).json()  # fmt: skip
        measure("userinfo", http.get, "/oidc/userinfo/",
                HTTP_AUTHORIZATION=f"Bearer {refreshed['access_token']}")  # fmt: skip
    print(f"In-process, {rounds} rounds: CPU time of the request (thread_time) and queries")
    for name, values in cpu.items():
        print(f"{line(name, values)}   queries {queries[name]}")


def timed(bucket: list[float], call, *args, **kwargs):
    start = time.perf_counter()
    response = call(*args, **kwargs)
    bucket.append((time.perf_counter() - start) * 1000)
    return response


def setup_world() -> dict:
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import account_sync
    from entaix.tests import factories
    from oidc import services

    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    ce1 = factories.SchoolClassFactory(school=school, name="CE1 A", code="CE1A")
    cm2 = factories.SchoolClassFactory(school=school, name="CM2 B", code="CM2B")
    mother = factories.GuardianFactory(first_name="Aïssatou", last_name="N'Diaye")
    for school_class in (ce1, cm2):
        pupil = factories.PupilFactory(school=school)
        factories.enrol(pupil, school_class)
        factories.link(pupil, mother, legal=1)
    account_sync()
    mother.refresh_from_db()
    password = "Bench-Oidc-Sextius-42"  # noqa: S105 - a scratch database
    account = mother.account
    account.set_password(password)
    account.email, account.email_confirmed_at = "parent@example.fr", timezone.now()
    account.save()
    admin = factories.UserFactory(login="it.bench", kind=User.Kind.CITY,
                                  city_role=User.CityRole.IT_ADMIN)  # fmt: skip
    redirect = "http://127.0.0.1:9/callback"
    client, secret = services.client_create(
        actor=admin, name="Bench", redirect_uris=redirect, client_type="confidential",
        allowed_scopes="openid profile email ent", skip_authorization=True,
    )  # fmt: skip
    return {"login": account.login, "password": password, "client_id": client.client_id,
            "secret": secret, "redirect": redirect}  # fmt: skip


if __name__ == "__main__":
    main()
