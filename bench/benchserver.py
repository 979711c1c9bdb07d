"""The portal served as deployed, for the benchmarks: gunicorn as `scripts/entrypoint.sh` starts
it (`gunicorn.conf.py`, sync workers, `--timeout 60`), production settings, on a free loopback
port; and what a benchmark reads of the server while it answers.

    with gunicorn(db_url, workers=1) as server:
        response = requests.get(server.base + "/scim/v2/Users", headers=PROXY | {...})
        server.queries(response), server.rss_mb(), server.cpu_seconds()

Settings: `bench_settings` (this folder), which is `entaix.settings.production` with one more
middleware, first: `QueryCountMiddleware` below. It counts the queries of each request on the
worker's connection and their time (a `connection.execute_wrapper`: no query text kept, one
integer added per query) and answers them in two headers, `X-Bench-Queries` and
`X-Bench-Sql-Ms`. With `BENCH_TRACEMALLOC=1` the worker also traces its Python allocations:
`X-Bench-Traced-Kb` tells the traced memory after each request, and a request carrying
`X-Bench-Snapshot: <file>` dumps a tracemalloc snapshot there once the view has answered (for a diff
between two pages). Nothing of this is in the deployed settings.
"""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The city's proxy ends TLS and says so (production settings redirect plain HTTP otherwise).
PROXY = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(db_url: str, **extra: str) -> dict:
    """The environment production requires (README, Configuration), with throwaway secrets."""
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": db_url,
        "ACTIVATION_CODE_KEYS": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


class Server:
    def __init__(self, base: str, process: subprocess.Popen):
        import psutil

        self.base = base
        self.process = process
        self.workers = psutil.Process(process.pid).children()
        # The process measured (rss_mb, cpu_seconds) when there is one worker.
        self.worker = self.workers[0] if len(self.workers) == 1 else None

    @staticmethod
    def queries(response) -> tuple[int, float]:
        """(queries, SQL milliseconds) the worker counted for this response."""
        return int(response.headers["X-Bench-Queries"]), float(response.headers["X-Bench-Sql-Ms"])

    def rss_mb(self) -> float:
        return self.worker.memory_info().rss / 1e6

    def uss_mb(self) -> float:
        """Memory only this worker holds (its own pages, not the shared ones): slower to read."""
        return self.worker.memory_full_info().uss / 1e6

    def cpu_seconds(self) -> float:
        """User + system CPU time of every worker."""
        return sum(sum(worker.cpu_times()[:2]) for worker in self.workers)


@contextlib.contextmanager
def gunicorn(db_url: str, *, workers: int = 1, timeout: int = 60, **extra_env: str):
    """gunicorn serving the portal with production settings on loopback; yields a `Server`
    (with one worker, `rss_mb` reads its process; `cpu_seconds` adds up every worker's)."""
    import requests

    port = free_port()
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    env = production_env(db_url, PROMETHEUS_MULTIPROC_DIR=metrics_dir, **extra_env)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "entaix.wsgi:application",
         "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--timeout", str(timeout)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn stopped: {process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(f"{base}/healthz", headers=PROXY, timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer /healthz within 120 s")
            time.sleep(0.2)
        yield Server(base, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)


@contextlib.contextmanager
def counting_queries():
    """[queries, SQL seconds] run on the default connection inside the block, counted by an
    execute wrapper that keeps no query text (CaptureQueriesContext would, and its memory would
    be measured with the page's)."""
    from django.db import connection

    counted = [0, 0.0]

    def count(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            counted[0] += 1
            counted[1] += time.perf_counter() - started

    with connection.execute_wrapper(count):
        yield counted


class QueryCountMiddleware:
    """Bench only (`bench_settings`): the queries of each request, counted on the worker."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.tracing = os.environ.get("BENCH_TRACEMALLOC") == "1"
        if self.tracing:
            import tracemalloc

            tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "1")))

    def __call__(self, request):
        with counting_queries() as counted:
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(counted[0])
        response["X-Bench-Sql-Ms"] = f"{counted[1] * 1000:.1f}"
        if self.tracing:
            import tracemalloc

            response["X-Bench-Traced-Kb"] = str(tracemalloc.get_traced_memory()[0] // 1024)
            target = request.headers.get("X-Bench-Snapshot")
            if target:
                tracemalloc.take_snapshot().dump(target)
        return response
