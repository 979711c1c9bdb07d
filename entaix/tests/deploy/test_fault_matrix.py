"""The fault matrix: what a city meets, against real services this module owns.

It starts its OWN PostgreSQL cluster (initdb in a temporary folder, a free port, run as the
`postgres` user when we are root) and its OWN redis-server on a free port, stops and restarts
them itself, and never touches the shared instances. The portal runs under gunicorn and the
commands as `manage.py` processes, as in production. For each fault it checks the answer the
user sees, the import runs' states, and that the directory's row counts are exactly as before
or exactly as after.

The other faults of the matrix live next to their code, with real services too (README,
"Faults"): a remote file changing during an SFTP transfer and a full inbox disk
(imports/tests/flows/test_fetch.py, real sshd and tmpfs), a full media disk
(privacy/tests/services/test_full_disk.py), the task's retries and the abandoned-run check
(imports/tests/services/test_run_faults.py).
"""

import glob
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import psycopg
import pytest

from imports.tests.feeds import copy_set

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
CITY_LOGIN, CITY_PASSWORD = "agent.matrice", "Matrice-Pannes-Aix-2026"
PASSWORD = "Tulipe-Rouge-Sextius-42"
DIRECTORY = ("schools_school", "schools_schoolclass", "schools_pupil", "schools_guardian",
             "schools_guardianlink", "schools_staff")  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {seconds} s", pytrace=False)


class Postgres:
    """A throw-away cluster: initdb, pg_ctl start / restart -m fast / stop."""

    def __init__(self, base: Path) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
        if not bins:
            pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql", False)
        self.bin = Path(bins[-1])
        self.data = base / "pg"
        self.port = free_port()
        self.log = base / "pg.log"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip

    def _run(self, *args) -> None:
        subprocess.run([*self.as_postgres, *map(str, args)], check=True, capture_output=True)

    def _ctl(self, *args) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", *args)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, "redis-server start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(7) == b"+PONG\r\n"
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Browser:
    """One visitor: cookies kept, redirects not followed (the status is what we check)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, form: str = ""):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            page = self.request("GET", form or path)[2]
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.getheaders()), text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, data: dict, form: str = ""):
        """Post `data` with the CSRF token of the form on `form` (default: the same page)."""
        return self.request("POST", path, data, form)


class City:
    """The services, the portal and the commands of one city, wired to the module's own
    PostgreSQL and Redis."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.pg = Postgres(base)
        self.redis = Redis()
        self.server: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "entaix.settings.test",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": self.pg.url("entaix"),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis.port}/1",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "AAF_INBOX_DIR": str(base / "inbox"),
            "MEDIA_ROOT": str(base / "media"),
            "LOG_LEVEL": "WARNING",
        }
        self.port = free_port()

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *map(str, args)],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def shell(self, code: str) -> str:
        done = self.manage("shell", "-c", code)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.pg.url("entaix"), autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def counts(self) -> dict[str, tuple[int, int]]:
        """Every directory table: (rows, rows present)."""
        return {
            table: self.sql(
                f"SELECT count(*), count(*) FILTER (WHERE left_at IS NULL) FROM {table}"  # noqa: S608
            )[0]
            for table in DIRECTORY
        }

    def run_state(self, run_id: int) -> tuple:
        return self.sql(
            "SELECT status, retryable, progress FROM imports_importrun WHERE id = %s", [run_id]
        )[0]

    def start_server(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "entaix.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--log-level", "warning"],
            # The portal queues its tasks in the module's Redis, as in production.
            cwd=ROOT, env={**self.env, "CELERY_TASK_ALWAYS_EAGER": "false"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: self._healthz() == 200, "gunicorn start")

    def _healthz(self) -> int:
        try:
            return Browser(self.port).get("/healthz")[0]
        except OSError:
            return 0

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)
        self.redis.stop()
        self.pg.stop()


@pytest.fixture(scope="module")
def city():
    base = Path(tempfile.mkdtemp(prefix="entaix-faults-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    city = City(base)
    try:
        city.pg.start()
        city.sql_admin = psycopg.connect(city.pg.url(), autocommit=True)
        city.sql_admin.execute("CREATE DATABASE entaix")
        city.sql_admin.close()
        city.redis.start()
        done = city.manage("migrate", "-v", "0")
        assert done.returncode == 0, done.stderr
        feed = copy_set("complet_20260901", base / "feeds" / "complet", days_ago=2)
        # One process for the whole setting-up: each Django start-up costs seconds.
        city.parent = (
            city.shell(
                "from django.core.management import call_command as c;"
                " from accounts import services; from accounts.models import User;"
                f" c('aaf_import', '{feed}'); c('school_open', '0131234A', '0135678B');"
                f" User.objects.create_user('{CITY_LOGIN}', '{CITY_PASSWORD}', kind='city');"
                " u = User.objects.filter(kind='guardian').order_by('pk')[0];"
                " print(u.login, services.activation_code_regenerate(account=u))"
            )
            .splitlines()[-1]
            .split()
        )
        city.start_server()
        yield city
    finally:
        city.stop()
        shutil.rmtree(base, ignore_errors=True)


def activate(login: str, code: str) -> dict:
    return {"login": login, "code": code, "password1": PASSWORD, "password2": PASSWORD,
            "email": "", "accept_terms": "on"}  # fmt: skip


def test_redis_down_then_back(city):
    login, code = city.parent
    before = city.counts()
    city.redis.stop()

    # Parents: the activation fails closed with the translated 503, nothing recorded.
    status, headers, body = Browser(city.port).post("/activation/", activate(login, code))
    assert (status, headers.get("Retry-After")) == (503, "60")
    assert "Service momentanément indisponible" in body
    status, _h, body = Browser(city.port).post("/mot-de-passe-oublie/", {"identifier": login})
    assert status == 503
    # Staff: the login works (its lockout lives in the database) and city staff see the outage.
    staff = Browser(city.port)
    status, headers, _b = staff.post(
        "/comptes/login/", {"username": CITY_LOGIN, "password": CITY_PASSWORD}
    )
    assert (status, headers["Location"]) == (302, "/")
    status, _h, body = staff.get("/ecoles/tableau-de-bord/")
    assert status == 200
    assert "Redis (limites de tentatives, verrous, file des tâches) ne répond pas" in body
    # A staff action that queues a task: the queue is down, a 503 that says so.
    status, headers, body = staff.post("/imports/recuperer/", {}, form="/imports/")
    assert (status, headers.get("Retry-After")) == (503, "60")
    assert "La file des tâches ne répond pas" in body
    assert city.sql("SELECT count(*) FROM imports_fetchattempt") == [(0,)]
    # Liveness stays simple.
    assert Browser(city.port).get("/healthz")[0] == 200
    assert city.sql("SELECT count(*) FROM accounts_user WHERE activated_at IS NOT NULL") == [(0,)]
    assert city.counts() == before

    city.redis.start()
    status, headers, _b = Browser(city.port).post("/activation/", activate(login, code))
    assert (status, headers["Location"]) == (302, "/mon-compte/")
    assert city.sql("SELECT login FROM accounts_user WHERE activated_at IS NOT NULL") == [(login,)]
    assert city.counts() == before


def test_database_restarted_during_an_apply_then_resumed(city):
    held = city.manage(
        "aaf_import", copy_set("header_only_20260903", city.base / "feeds" / "h", days_ago=0)
    )
    run_id = int(re.match(r"Import n° (\d+) : en attente de validation", held.stdout).group(1))
    before = city.counts()

    # Hold the pupils' table so the apply waits there, inside its transaction; then restart.
    blocker = psycopg.connect(city.pg.url("entaix"))
    blocker.execute("LOCK TABLE schools_pupil IN ACCESS EXCLUSIVE MODE")
    command = subprocess.Popen(
        [sys.executable, "manage.py", "aaf_import", "--approve", str(run_id)],
        cwd=ROOT, env=city.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # (Asked afresh each time: pg_stat_activity is a snapshot per transaction.)
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    wait_for(
        lambda: command.poll() is not None or city.sql(waiting) == [(1,)],
        "the apply waiting on the pupils' table",
    )
    assert command.poll() is None, command.communicate()
    city.pg.restart()
    blocker.close()
    _out, err = command.communicate(timeout=60)

    # One clear line, exit 1; nothing half-applied; the run resumable.
    assert command.returncode == 1
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("CommandError")]
    assert line.startswith(
        f"CommandError: Import n° {run_id} : la connexion à la base de données a été perdue "
        "pendant l'application ("
    )
    assert line.endswith(
        f"Rien n'a été appliqué ; reprenez-le avec : manage.py aaf_import --resume {run_id}"
    )
    assert city.counts() == before
    # Marked failed-retryable when the database answered again in time, else still planned:
    # both resume.
    assert city.run_state(run_id) in [("failed", True, 50), ("planned", False, 50)]
    # The portal answers again once the database is back.
    assert Browser(city.port).get("/comptes/login/")[0] == 200

    resumed = city.manage("aaf_import", "--resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith(f"Import n° {run_id} : appliqué")
    assert city.run_state(run_id) == ("applied", False, 100)
    # Exactly the plan: every pupil left, and with them their guardians and links.
    assert before == {
        "schools_school": (2, 2), "schools_schoolclass": (7, 7), "schools_pupil": (5, 5),
        "schools_guardian": (6, 6), "schools_guardianlink": (8, 8), "schools_staff": (3, 3),
    }  # fmt: skip
    assert city.counts() == {
        "schools_school": (2, 2), "schools_schoolclass": (7, 7), "schools_pupil": (5, 0),
        "schools_guardian": (6, 0), "schools_guardianlink": (8, 0), "schools_staff": (3, 3),
    }  # fmt: skip
