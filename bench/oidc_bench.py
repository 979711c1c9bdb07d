"""OpenID Connect benchmark: the token endpoint and userinfo, on loopback.

    .venv/bin/python bench/oidc_bench.py            # 200 rounds
    .venv/bin/python bench/oidc_bench.py -n 500
    .venv/bin/python bench/oidc_bench.py --sql      # also print the SQL of one call of each

A scratch PostgreSQL database (`OIDCBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_oidcbench) is recreated and migrated, with a school,
a guardian of two children and a trusted confidential client; a fresh RSA key signs the ID
tokens.

The portal is served as deployed (scripts/entrypoint.sh): gunicorn with gunicorn.conf.py (its
access log), sync workers, **production settings** (`entaix.settings.production`: DEBUG off,
the production password hashers, persistent database connections, the Redis cache, the
Prometheus multi-process counters), on a free loopback port. Each call carries
`X-Forwarded-Proto: https`, as from the city's proxy, and opens a new connection (gunicorn's
sync workers close each one, as behind the proxy). Authorization codes are obtained in-process
(not timed); then N times the relying party's back-channel calls are timed over HTTP: the code
exchange at the token endpoint (client secret in Basic auth, code + PKCE, an RS256 ID token with
every scope's claims), the refresh, and userinfo. Like a real relying party, these calls carry
no portal session cookie.

Printed: min/p50/p95/max in milliseconds of each call over HTTP (the minimum: a call that met
an idle machine), and the CPU time the gunicorn workers spent per call (user + system, from
/proc through psutil). Then the same three calls in-process (Django's test client), with the
queries each makes and the CPU time of this process (`time.thread_time`: the Python side's
work, not counting waits for a busy machine's CPU or for PostgreSQL), so that a loaded shared
machine can be told apart from a slow endpoint. The target is p95 ≤ 50 ms; nothing is asserted.
"""

import argparse
import base64
import contextlib
import hashlib
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
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
        f"{name:<16} min {min(values):6.1f} ms   p50 {statistics.median(values):6.1f} ms   p95"
        f" {percentile(values, 95):6.1f} ms   max {max(values):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="rounds (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one call of each")
    args = parser.parse_args()
    db_url = os.environ.get("OIDCBENCH_DATABASE_URL", DEFAULT_DB)
    recreate_database(db_url)
    pem = rsa_pem()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="entaix.settings.test", DATABASE_URL=db_url,
        OIDC_RSA_PRIVATE_KEY=pem, OIDC_REDIRECT_SCHEMES="http,https", LOG_LEVEL="WARNING",
    )  # fmt: skip
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = setup_world()
    codes = Codes(world)
    print(f"load before: {uptime()}")
    with gunicorn(db_url, pem, args.workers) as (base, workers):
        timings, cpu_ms = over_http(base, workers, world, codes, args.n)
    print(
        f"OpenID Connect on loopback, {args.n} rounds: gunicorn ({args.workers} sync workers, "
        "production settings), a new connection per call"
    )
    for name, values in timings.items():
        print(f"{line(name, values)}   server CPU {cpu_ms[name]:5.1f} ms/call")
    in_process(world, codes, max(20, args.n // 4), sql=args.sql)
    print(f"load after: {uptime()}")


def uptime() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


class Codes:
    """Authorization codes for the relying party, from the authorization endpoint in-process
    (the guardian signed in; not timed)."""

    def __init__(self, world: dict):
        from django.test import Client

        from accounts.models import User

        self.world = world
        self.browser = Client()
        self.browser.force_login(User.objects.get(login=world["login"]))

    def new(self) -> tuple[str, str]:
        world = self.world
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        location = self.browser.get("/oidc/authorize/", {
            "response_type": "code", "client_id": world["client_id"],
            "redirect_uri": world["redirect"], "scope": "openid profile email ent",
            "state": "s", "nonce": "n", "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        })["Location"]  # fmt: skip
        return parse_qs(urlsplit(location).query)["code"][0], verifier


@contextlib.contextmanager
def gunicorn(db_url: str, pem: str, workers: int):
    """gunicorn as scripts/entrypoint.sh starts it, with production settings, on loopback."""
    from cryptography.fernet import Fernet

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics_dir = tempfile.mkdtemp(prefix="oidcbench-metrics-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "entaix.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": db_url,
        "ACTIVATION_CODE_KEYS": Fernet.generate_key().decode(),
        "OIDC_RSA_PRIVATE_KEY": pem,
        "OIDC_REDIRECT_SCHEMES": "http,https",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "LOG_LEVEL": "INFO",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "entaix.wsgi:application",
         "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--timeout", "60"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import requests

        for _ in range(300):
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer /healthz")
        import psutil

        yield base, psutil.Process(server.pid).children()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(metrics_dir, ignore_errors=True)


def over_http(base, workers, world, codes, rounds):
    import requests

    proxy = {"X-Forwarded-Proto": "https"}
    auth = (world["client_id"], world["secret"])
    names = ("token (code)", "token (refresh)", "userinfo")
    timings: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, float] = dict.fromkeys(names, 0.0)

    def call(name, method, url, **kwargs):
        before = sum(sum(w.cpu_times()[:2]) for w in workers)
        start = time.perf_counter()
        response = method(url, headers={**proxy, **kwargs.pop("headers", {})}, **kwargs)
        timings[name].append((time.perf_counter() - start) * 1000)
        cpu[name] += sum(sum(w.cpu_times()[:2]) for w in workers) - before
        assert response.status_code == 200, response.text
        return response

    for warm_up in (True, False):  # a first pass warms each worker (imports, connections)
        for _ in range(max(4, rounds // 10) if warm_up else rounds):
            code, verifier = codes.new()
            data = {"grant_type": "authorization_code", "code": code,
                    "redirect_uri": world["redirect"], "code_verifier": verifier}  # fmt: skip
            tokens = call(names[0], requests.post, f"{base}/oidc/token/", data=data, auth=auth)
            again = {"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]}
            refreshed = call(names[1], requests.post, f"{base}/oidc/token/", data=again, auth=auth)
            bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
            call(names[2], requests.get, f"{base}/oidc/userinfo/", headers=bearer)
        if warm_up:
            timings = {name: [] for name in names}
            cpu = dict.fromkeys(names, 0.0)
    return timings, {name: cpu[name] * 1000 / rounds for name in names}


def in_process(world: dict, codes: Codes, rounds: int, *, sql: bool = False) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    http = Client()  # the relying party's back channel: no portal session
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(
        f"{world['client_id']}:{world['secret']}".encode()).decode()}  # fmt: skip
    cpu: dict[str, list[float]] = {"token (code)": [], "token (refresh)": [], "userinfo": []}
    queries: dict[str, list[str]] = {}

    def measure(name, call, *a, **kw):
        with CaptureQueriesContext(connection) as captured:
            start = time.thread_time()
            response = call(*a, **kw)
            cpu[name].append((time.thread_time() - start) * 1000)
        assert response.status_code == 200, response.content
        queries[name] = [q["sql"] for q in captured.captured_queries]
        return response

    for _ in range(rounds):
        code, verifier = codes.new()
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
        print(f"{line(name, values)}   queries {len(queries[name])}")
    if sql:
        for name, statements in queries.items():
            print(f"--- {name}: {len(statements)} queries")
            for statement in statements:
                print(f"  {statement[:160]}")


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
