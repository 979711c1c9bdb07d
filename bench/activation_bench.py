"""Activation benchmark: N parents activating at the same instant, through gunicorn.

    .venv/bin/python bench/activation_bench.py                 # 200 at once, 2 workers
    .venv/bin/python bench/activation_bench.py -n 50 --workers 4

A scratch PostgreSQL database (`ACTIVATIONBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_activationbench) is recreated and migrated; N guardian
accounts get an activation code (the real service); static files are collected (into the
ignored `staticfiles/`, as in production). gunicorn then serves the portal with the
PRODUCTION settings (the real password hasher: its cost is what this measures) on a free loopback
port, behind a pretend TLS proxy (X-Forwarded-Proto). Each of N threads loads the activation page
(CSRF cookie and token), waits at a barrier, and all post their activation at once.

Printed: the HTTP statuses, p50/p95/max of the posts, the wall time from the barrier to the last
answer, activations per second, and the accounts the database shows activated. The rate limits
are raised for the run (one address posts them all). It asserts nothing.
"""

import argparse
import collections
import contextlib
import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from benchdb import recreate_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_activationbench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
PASSWORD = "Bench-Activation-Sextius-42"  # noqa: S105 - throwaway accounts in a scratch database
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def environment(db_url: str, redis_url: str, keys: str, port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "entaix.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "ACTIVATION_CODE_KEYS": keys,
        "ACTIVATION_RATE_PER_IP": "1000000/h",
        "ACTIVATION_RATE_PER_LOGIN": "1000000/h",
        "LOG_LEVEL": "WARNING",
    }


def accounts_with_codes(n: int) -> list[tuple[str, str]]:
    """N guardian accounts, each with a fresh activation code (login, clear code)."""
    from accounts import services
    from accounts.models import User

    result = []
    for i in range(n):
        user = User.objects.create_user(f"parent.bench{i:04d}", None, kind=User.Kind.GUARDIAN)
        result.append((user.login, services.activation_code_regenerate(account=user)))
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "entaix.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--backlog", "2048",
         "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


class Parent(threading.Thread):
    """Loads the page, waits for everyone, posts the activation; keeps status and time."""

    def __init__(self, port: int, login: str, code: str, barrier: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.login, self.code, self.barrier = port, login, code, barrier
        self.status: int | str = "not sent"
        self.seconds = 0.0
        self.finished = 0.0

    def _headers(self) -> dict:
        return {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            conn.request("GET", "/activation/", headers=self._headers())
            page = conn.getresponse()
            body = page.read().decode()
            cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
            if page.status != 200:
                raise RuntimeError(f"HTTP {page.status}")
            token = TOKEN.search(body).group(1)
            conn.close()
        except Exception as exc:  # reported as the thread's status
            self.status = f"page: {type(exc).__name__} {exc}"
            self.barrier.abort()
            return
        data = urllib.parse.urlencode({
            "csrfmiddlewaretoken": token, "login": self.login, "code": self.code,
            "password1": PASSWORD, "password2": PASSWORD, "email": "", "accept_terms": "on",
        })  # fmt: skip
        headers = {
            **self._headers(),
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://127.0.0.1:{self.port}",
            "Referer": f"https://127.0.0.1:{self.port}/activation/",
        }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        self.barrier.wait()
        started = time.perf_counter()
        try:
            conn.request("POST", "/activation/", body=data, headers=headers)
            answer = conn.getresponse()
            answer.read()
            self.status = answer.status
        except Exception as exc:
            self.status = type(exc).__name__
        self.finished = time.perf_counter()
        self.seconds = self.finished - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="parents activating at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--db", default=os.environ.get("ACTIVATIONBENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis", default=os.environ.get("ACTIVATIONBENCH_REDIS_URL",
                                                          DEFAULT_REDIS))  # fmt: skip
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    port = free_port()
    env = environment(args.db, args.redis, Fernet.generate_key().decode(), port)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    print(f"activation bench: {args.n} parents at once, gunicorn {args.workers} sync workers")
    recreate_database(args.db)
    steps = (["migrate"], ["collectstatic", "--noinput"], ["compilemessages", "--ignore=.venv"])
    for command in steps:
        subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip

    import django

    django.setup()
    from django.contrib.auth.hashers import get_hasher

    hasher = get_hasher()
    print(f"  password hasher: {hasher.algorithm} ({getattr(hasher, 'iterations', '-')} it.)")
    parents = accounts_with_codes(args.n)
    from django.db import connection

    connection.close()

    server = start_gunicorn(env, port, args.workers)
    try:
        barrier = threading.Barrier(args.n + 1)
        threads = [Parent(port, login, code, barrier) for login, code in parents]
        for thread in threads:
            thread.start()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # broken when a page failed to load: its status says why
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = max((t.finished - started for t in threads if t.finished), default=float("nan"))
    finally:
        server.terminate()
        server.wait(timeout=30)

    from accounts.models import User

    activated = User.objects.filter(
        login__startswith="parent.bench", activated_at__isnull=False
    ).count()
    statuses = collections.Counter(t.status for t in threads)
    times = [t.seconds for t in threads if t.status == 302]
    print(f"  statuses: {dict(sorted(statuses.items(), key=str))}")
    if times:
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"  post time: p50 {p50:.2f} s  p95 {p95:.2f} s  max {max(times):.2f} s")
    print(f"  wall: {wall:.2f} s  activations/s: {len(times) / wall:.2f}")
    print(f"  accounts activated in the database: {activated} of {args.n}")


if __name__ == "__main__":
    main()
