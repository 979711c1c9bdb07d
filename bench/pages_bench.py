"""Page benchmark: p50/p95 response time over loopback HTTP, and query count, of staff pages.

    .venv/bin/python bench/pages_bench.py                  # académie scale (400 schools)
    .venv/bin/python bench/pages_bench.py --schools 40     # city scale
    .venv/bin/python bench/pages_bench.py --reuse          # keep the database of the last run
    .venv/bin/python bench/pages_bench.py --reuse --search-only   # the person search alone

A scratch PostgreSQL database (`PAGEBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_pagebench) is recreated and filled with the real
importer: `aaf_generate`, `aaf_import` (schools), `school_open` of every school (everyone, and
their ENT accounts). A share of the accounts is then marked activated over the last 16 weeks, so
the dashboard has something to count. A server (gunicorn, one sync worker, or `runserver
--noreload`) runs on a free loopback port; a city staff user logs in through the login form
(urllib, cookie jar, CSRF token from the page) and fetches each page. Query counts are measured
in-process (django.test.Client + CaptureQueriesContext) against the same database.
The person search is measured apart, for city staff and for the director of the biggest school
(who logs in the same way): typical queries (a short word, two word starts, a common surname, a
login, a rare name), the selector in-process (wall and CPU time, query count) and the page over
HTTP. Target: p95 ≤ 150 ms per page, ≤ 50 ms for the search selector (reported, not asserted).
The first request of each page is shown too: for the dashboard it is the uncached cost of its
figures.
"""

import argparse
import datetime
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchdb import recreate_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_pagebench"
SETTINGS = "entaix.settings.test"
LOGIN = "bench.ville"
PASSWORD = "bench pages correct horse"  # noqa: S105 - a throwaway user in a scratch database
TARGET_P95_MS = 150
TARGET_SEARCH_P95_MS = 50
DIRECTOR_PASSWORD = "bench director correct horse"  # noqa: S105 - same scratch database


def _env(db_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": SETTINGS}


def _manage(db_url: str, *args: str) -> str:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(db_url),
        check=True,
        capture_output=True,
        text=True,
    )
    last = (done.stdout.strip().splitlines() or [""])[-1]
    print(f"  manage.py {args[0]}: {time.perf_counter() - started:.1f} s  {last[:100]}")
    return done.stdout


def fill_database(db_url: str, *, schools: int, pupils_per_school: int) -> None:
    """The real importer, as the city would run it; then the ENT opened in every school."""
    from schools.models import School

    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    _manage(db_url, "migrate", "-v", "0")
    with tempfile.TemporaryDirectory(prefix="pagebench-") as feed:
        _manage(
            db_url, "aaf_generate", "--out", feed, "--schools", str(schools),
            "--pupils-per-school", str(pupils_per_school), "--date", yesterday.isoformat(),
        )  # fmt: skip
        _manage(db_url, "aaf_import", feed)
        uais = list(School.objects.filter(left_at__isnull=True).values_list("uai", flat=True))
        _manage(db_url, "school_open", *uais)


def simulate_activity(*, activated: float = 0.45, weeks: int = 16) -> None:
    """Activations spread over the last weeks, some confirmed e-mails, a few stale accounts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            "UPDATE accounts_user SET activated_at = now() - random() * %s * interval '1 week'"
            " WHERE kind IN ('pupil', 'guardian', 'staff') AND random() < %s",
            [weeks, activated],
        )
        cursor.execute(
            "UPDATE accounts_user SET email = login || '@example.org',"
            " email_confirmed_at = activated_at + interval '1 day'"
            " WHERE kind = 'guardian' AND activated_at IS NOT NULL AND random() < 0.5"
        )
        # Persons who left with their account still active: what the dashboard calls pending.
        cursor.execute(
            "UPDATE schools_pupil SET left_at = now() WHERE id IN"
            " (SELECT id FROM schools_pupil WHERE account_id IS NOT NULL ORDER BY id LIMIT 25)"
        )
        cursor.execute("ANALYZE")


def city_user():
    from accounts.models import User

    user = User.objects.filter(login=LOGIN).first()
    if user is None:
        return User.objects.create_user(LOGIN, PASSWORD, kind=User.Kind.CITY)
    user.set_password(PASSWORD)
    user.is_active = True
    user.save()
    return user


def biggest_school():
    from django.db.models import Count, Q

    from schools.models import School

    return (
        School.objects.filter(ent_open=True, left_at__isnull=True)
        .annotate(n=Count("pupils", filter=Q(pupils__left_at__isnull=True)))
        .order_by("-n", "name")
        .first()
    )


def director_user(school):
    """The director of the school, able to log in with a password (a throwaway one)."""
    from schools.models import StaffAssignment

    assignment = (
        StaffAssignment.objects.filter(
            school=school, is_director=True, staff__account__isnull=False
        )
        .select_related("staff__account")
        .order_by("staff_id")
        .first()
    )
    if assignment is None:
        raise SystemExit(f"no director with an account in {school.uai}")
    user = assignment.staff.account
    user.set_password(DIRECTOR_PASSWORD)
    user.is_active = True
    user.save()
    return user


def search_queries(school) -> list[tuple[str, str]]:
    """(what, query) typed in the search: found in the school, so that its director finds them."""
    from django.db.models import Count

    from entaix.common.text import fold
    from schools.models import Pupil

    pupils = Pupil.objects.filter(school=school, left_at__isnull=True, account__isnull=False)
    pupil = pupils.select_related("account").order_by("last_name", "first_name", "id").first()
    common = (
        Pupil.objects.filter(left_at__isnull=True)
        .values("last_name")
        .annotate(n=Count("id"))
        .order_by("-n", "last_name")
        .first()["last_name"]
    )
    by_name = pupils.values("last_name").annotate(n=Count("id"))
    rare = by_name.order_by("n", "last_name").first()["last_name"]
    two_words = f"{fold(pupil.first_name)[:3]} {fold(pupil.last_name)[:3]}"
    return [
        ("one short word", "ma"),
        ("two word starts", two_words),
        ("common surname", common),
        ("a login", pupil.account.login),
        ("a rare name", rare),
    ]


def _backend_cpu(pid: int) -> float:
    """CPU seconds of a PostgreSQL backend so far (/proc: the server runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the server: gunicorn's master and worker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return _backend_cpu(pid) + sum(_tree_cpu(int(child)) for child in children)


def search_selector_times(user, queries: list[tuple[str, str]], *, repeat: int) -> None:
    """person_search in-process: p50/p95 wall time, CPU time per call of this process and of its
    PostgreSQL backend (both unmoved by other people's load), queries, rows found."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.directory_selectors import person_search
    from accounts.scope import forget_scope

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for what, query in queries:
        forget_scope(user)
        person_search(user=user, query=query)  # warms the connection and caches
        times = []
        cpu_started, db_started = time.process_time(), _backend_cpu(backend)
        for _ in range(repeat):
            forget_scope(user)  # a new request computes the scope anew
            started = time.perf_counter()
            person_search(user=user, query=query)
            times.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu_started) / repeat * 1000
        db_ms = (_backend_cpu(backend) - db_started) / repeat * 1000
        forget_scope(user)
        with CaptureQueriesContext(connection) as captured:
            found = person_search(user=user, query=query)
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        rows = "/".join(str(len(found[kind])) for kind in ("pupils", "guardians", "staff"))
        verdict = "ok" if p95 <= TARGET_SEARCH_P95_MS else "over"
        print(f"  {what:<17} {query[:22]!r:<24} {p50:7.1f} {p95:7.1f} {cpu_ms:7.1f} {db_ms:7.1f} "
              f"{len(captured):7d} {rows:>10}  {verdict}")  # fmt: skip


def pages() -> list[tuple[str, str]]:
    """(name, path) of the pages measured; the biggest school and class, a common name."""
    from django.db.models import Count
    from django.urls import reverse

    from schools.models import Pupil, SchoolClass

    school = biggest_school()
    school_class = (
        SchoolClass.objects.filter(school=school, left_at__isnull=True)
        .annotate(n=Count("pupils"))
        .order_by("-n", "name")
        .first()
    )
    name = (
        Pupil.objects.filter(left_at__isnull=True)
        .values("last_name")
        .annotate(n=Count("id"))
        .order_by("-n", "last_name")
        .first()["last_name"]
    )
    dashboard = reverse("schools:dashboard")
    return [
        ("dashboard", dashboard),
        ("dashboard, one school's classes", f"{dashboard}?ecole={school.uai}"),
        ("school page", reverse("schools:school-detail", args=[school.uai])),
        ("class page (accounts)", reverse("accounts:class-accounts", args=[school_class.pk])),
        ("search", f"{reverse('schools:person-search')}?{urllib.parse.urlencode({'q': name})}"),
    ]  # fmt: skip


def query_counts(user, paths: list[str]) -> list[int]:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    counts = []
    for path in paths:
        # The dashboard's figures uncached: the count that matters is the one when computed.
        with (
            override_settings(DASHBOARD_CACHE_SECONDS=0),
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code} in-process")
        counts.append(len(queries))
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_url: str, port: int, kind: str) -> subprocess.Popen:
    if kind == "gunicorn":
        # One worker: the test settings draw a random SECRET_KEY per process.
        command = [
            sys.executable, "-m", "gunicorn", "entaix.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning",
        ]  # fmt: skip
    else:
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=_env(db_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /healthz within 30 s")


def login(
    base: str, username: str = LOGIN, password: str = PASSWORD
) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/comptes/login/") as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - an http:// URL built here
        f"{base}/comptes/login/", data=data, headers={"Referer": f"{base}/comptes/login/"}
    )
    with opener.open(request) as response:
        landed = response.geturl()
    if "/comptes/login/" in landed:
        raise SystemExit("login failed")
    return opener


def timed(opener, url: str, *, warmup: int, repeat: int) -> tuple[float, list[float], int]:
    """(first request in ms, the timed ones after the warm-up, page size)."""
    times = []
    first = 0.0
    size = 0
    for i in range(warmup + repeat):
        started = time.perf_counter()
        with opener.open(url) as response:
            body = response.read()
            status = response.status
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200 or "/comptes/login/" in response.geturl():
            raise SystemExit(f"{url}: HTTP {status} ({response.geturl()})")
        if i == 0:
            first = elapsed
        if i >= warmup:
            times.append(elapsed)
        size = len(body)
    return first, times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--pupils-per-school", type=int, default=250)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    parser.add_argument("--db", default=os.environ.get("PAGEBENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--reuse", action="store_true", help="skip the fill: reuse the database")
    parser.add_argument("--search-only", action="store_true", help="the person search alone")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.update(DATABASE_URL=args.db, DJANGO_SETTINGS_MODULE=SETTINGS)
    import django

    django.setup()
    from django.urls import reverse

    from schools.models import Guardian, Pupil, School, Staff

    if not args.reuse:
        started = time.perf_counter()
        print(f"filling {args.db} ({args.schools} schools, {args.pupils_per_school} pupils each)")
        recreate_database(args.db)
        fill_database(args.db, schools=args.schools, pupils_per_school=args.pupils_per_school)
        simulate_activity()
        print(f"  filled in {time.perf_counter() - started:.0f} s")
    print(
        f"database: {School.objects.filter(ent_open=True).count()} open schools, "
        f"{Pupil.objects.filter(left_at__isnull=True).count()} pupils, "
        f"{Guardian.objects.filter(left_at__isnull=True).count()} guardians, "
        f"{Staff.objects.filter(left_at__isnull=True).count()} staff"
    )
    user = city_user()
    school = biggest_school()
    director = director_user(school)
    queries = search_queries(school)
    search_path = reverse("schools:person-search")
    print(f"person_search in-process, {args.requests} calls per query after one warm-up; "
          f"CPU ms per call of Python and of PostgreSQL; rows: pupils/guardians/staff")  # fmt: skip
    header = (
        f"  {'query':<17} {'typed':<24} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms':>7} {'DB CPU':>7} "
        f"{'queries':>7} {'rows':>10}  p95 target {TARGET_SEARCH_P95_MS} ms"
    )
    for who, viewer in (("city staff", user), (f"director of {school.uai}", director)):
        print(f"{who}:\n{header}")
        search_selector_times(viewer, queries, repeat=args.requests)

    measured = [] if args.search_only else pages()
    searches = [(f"search {what}", f"{search_path}?{urllib.parse.urlencode({'q': query})}")
                for what, query in queries]  # fmt: skip
    city_counts = query_counts(user, [path for _name, path in measured + searches])
    director_counts = query_counts(director, [path for _name, path in searches])

    port = free_port()
    server = start_server(args.db, port, args.server)
    try:
        base = f"http://127.0.0.1:{port}"
        print(f"{args.server} on {base}; {args.requests} timed requests per page, "
              f"{args.warmup} warm-up")  # fmt: skip
        runs = [
            ("city staff", login(base), measured + searches, city_counts),
            (f"director of {school.uai}", login(base, director.login, DIRECTOR_PASSWORD),
             searches, director_counts),
        ]  # fmt: skip
        for who, opener, paths, counts in runs:
            print(f"{who}:")
            print(f"{'page':<32} {'first ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} "
                  f"{'queries':>8} {'KB':>5}  p95 target {TARGET_P95_MS} ms")  # fmt: skip
            for (name, path), count in zip(paths, counts, strict=True):
                cpu_started = _tree_cpu(server.pid)
                first, times, size = timed(
                    opener, base + path, warmup=args.warmup, repeat=args.requests
                )
                cpu_ms = (_tree_cpu(server.pid) - cpu_started) / (args.warmup + args.requests)
                p50 = statistics.median(times)
                p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
                verdict = "ok" if p95 <= TARGET_P95_MS else "over"
                print(f"{name:<32} {first:8.1f} {p50:8.1f} {p95:8.1f} {cpu_ms * 1000:8.1f} "
                      f"{count:8d} {size / 1024:5.0f}  {verdict}")  # fmt: skip
        print("CPU ms: the server's (gunicorn or runserver), per request, warm-up included.")
        print("first: first request to a fresh server (dashboard figures computed, then cached")
        print("for DASHBOARD_CACHE_SECONDS); queries: counted in-process, figures uncached.")
        print(
            f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
            f"{os.getloadavg()[2]:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
