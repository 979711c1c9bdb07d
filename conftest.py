import shutil
from pathlib import Path

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations

from accounts.models import User
from entaix.tests import factories
from entaix.tests.sqlite import sqlite_manage

# The real OpenSSH sshd fixture for the SFTP tests.
pytest_plugins = ["imports.tests.sshd"]

_truncate = DatabaseOperations.sql_flush


def _sql_flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """How a transactional test (live server, Celery worker, `transaction=True`) empties every
    table afterwards (`flush`): DELETE instead of one TRUNCATE. PostgreSQL's TRUNCATE of the ~55
    tables makes new files for each table and index and costs seconds per test on a busy disk;
    DELETE of the few rows a test leaves costs milliseconds. The tables end as empty either way:
    every foreign key is DEFERRABLE INITIALLY DEFERRED (checked at the flush's commit, when the
    referencing rows are gone too) and the schema has no trigger of its own. Sequences are not
    reset either way; with reset_sequences or CASCADE (available_apps), Django's TRUNCATE."""
    if not tables or reset_sequences or allow_cascade:
        return _truncate(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [
        "SET CONSTRAINTS ALL DEFERRED;",
        *(f"DELETE FROM {self.quote_name(table)};" for table in tables),  # noqa: S608
    ]


DatabaseOperations.sql_flush = _sql_flush_by_delete


@pytest.fixture
def city_user(db):
    return factories.UserFactory(
        login="agent.ville", kind=User.Kind.CITY, city_role=User.CityRole.SCHOOL_SERVICE
    )


@pytest.fixture
def two_schools(db):
    """Two open schools, each with two classes, a director, a teacher per class and pupils."""
    world = {}
    for tag in ("a", "b"):
        school = factories.SchoolFactory(name=f"École {tag.upper()}")
        classes = [factories.SchoolClassFactory(school=school) for _ in range(2)]
        pupils = []
        for school_class in classes:
            for _ in range(2):
                pupil = factories.PupilFactory(school=school)
                factories.enrol(pupil, school_class)
                guardian = factories.GuardianFactory()
                factories.link(pupil, guardian)
                pupils.append(pupil)
        director = factories.make_director(school, account__login=f"dir.{tag}")
        teachers = [
            factories.make_teacher(c, account__login=f"ens.{tag}{i}") for i, c in enumerate(classes)
        ]
        world[tag] = {
            "school": school,
            "classes": classes,
            "pupils": pupils,
            "director": director,
            "teachers": teachers,
        }
    return world


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; no browser download, ever."""
    import os
    import shutil

    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is missing: install Debian's `chromium` (make test does).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def small_disk(tmp_path):
    """`small_disk(kib)`: a tmpfs of that size mounted under tmp_path, a real "disk full"
    (ENOSPC) for the tests of full inbox and media disks. Needs root, like the sshd fixture."""
    import os
    import subprocess

    mounted = []

    def mount(kib: int) -> Path:
        if os.geteuid() != 0:
            pytest.fail("the small_disk fixture mounts a tmpfs: it needs root", pytrace=False)
        path = tmp_path / f"disk{len(mounted)}"
        path.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kib}k,mode=0755", "tmpfs", str(path)],
            check=True,
        )
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("sqlite") / "migrated.sqlite3"
    sqlite_manage(database, "migrate", "-v", "0")
    return database


@pytest.fixture
def sqlite_database(_migrated_sqlite, tmp_path) -> Path:
    """A migrated SQLite database of the demo's, this test's own copy (entaix/tests/sqlite.py)."""
    database = tmp_path / "demo.sqlite3"
    shutil.copyfile(_migrated_sqlite, database)
    return database
