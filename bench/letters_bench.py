"""Letter benchmark: a 30-pupil class and a 400-pupil school printed end to end.

    .venv/bin/python bench/letters_bench.py            # build the scratch database, then measure
    .venv/bin/python bench/letters_bench.py --reuse    # measure again on the last database

A scratch PostgreSQL database (`LETTERBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_letterbench) is recreated and filled with one open
school of 400 pupils (13 classes of 30, one of 10), one or two guardians with authority per
pupil (about a third of the families have two children), staff, and their ENT accounts
(`account_sync`). Each step then runs in a fresh process (its own peak RSS) as the command line
does it (`letter_batch_print`): selection, codes issued (first print) or decrypted (reprint),
PDF built, rows written (batch, printed-at, audit entries). Printed: seconds, letters, pages,
pages/s, peak RSS, queries. Targets (reported, not asserted): a 30-pupil class in ≤ 1 s,
≥ 200 pages/s for a school batch on one core, queries constant in the batch size.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdb import recreate_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_letterbench"
SETTINGS = "entaix.settings.test"
UAI = "0139999B"
PUPILS, CLASS_SIZE = 400, 30

# (name, profile, class (None: the school), what it measures)
STEPS = [
    ("class, first print", "pupil", "CP-01", "30 codes issued"),
    ("class, reprint", "pupil", "CP-01", "30 codes decrypted"),
    ("class guardians, first print", "guardian", "CP-02", "codes issued"),
    ("school, first print", "pupil", None, "370 issued, 30 decrypted"),
    ("school, reprint", "pupil", None, "400 codes decrypted"),
    ("school guardians, first print", "guardian", None, "codes issued"),
    ("school guardians, slips", "guardian", None, "reprint, 8 per page"),
]


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    # A fixed key: codes issued by one step are decrypted by the next (another process).
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ACTIVATION_CODE_KEYS = ["bGV0dGVyLWJlbmNoLWtleS0zMi1ieXRlcy1sb25nLi4="]


def fill(db_url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": SETTINGS},
        check=True,
    )
    _django(db_url)
    import datetime

    from django.db import connection
    from django.utils import timezone

    from accounts.services import account_sync
    from schools.models import (
        Guardian,
        GuardianLink,
        Pupil,
        PupilClass,
        School,
        SchoolClass,
        Staff,
        StaffAssignment,
        StaffClass,
    )

    now = timezone.now()
    seen = {"first_seen_at": now, "last_seen_at": now}
    school = School.objects.create(
        uai=UAI,
        name="École élémentaire du Banc",
        join_key="school-bench",
        ent_open=True,
        ent_opened_on=now.date(),
        address="12 rue des Écoles",
        postal_code="13100",
        city="Aix-en-Provence",
        phone="04 42 00 00 00",
        email="ce.0139999b@ac-aix-marseille.fr",
        **seen,
    )
    sizes = [CLASS_SIZE] * (PUPILS // CLASS_SIZE) + [PUPILS % CLASS_SIZE]
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=school, code=f"C{i:02d}", name=f"CP-{i:02d}", **seen)
        for i in range(1, len(sizes) + 1)
    )
    pupils = Pupil.objects.bulk_create(
        Pupil(
            school=school,
            join_key=f"p{i}",
            first_name=f"Élève{i}",
            last_name=f"Nom{i % 97}",
            birth_date=datetime.date(2015 + i % 6, 1 + i % 12, 1 + i % 28),
            **seen,
        )
        for i in range(PUPILS)
    )
    memberships, cursor = [], 0
    for school_class, size in zip(classes, sizes, strict=True):
        memberships += [
            PupilClass(pupil=p, school_class=school_class) for p in pupils[cursor : cursor + size]
        ]
        cursor += size
    PupilClass.objects.bulk_create(memberships)
    # Families: every third pupil is the sibling of the one before; two guardians per family
    # for half of them.
    guardians, links = [], []
    family = []
    for index, pupil in enumerate(pupils):
        if index % 3 == 2:
            family_pupils = family[-1][1]
            family_pupils.append(pupil)
            continue
        family.append((index, [pupil]))
    for index, members in family:
        count = 2 if index % 2 == 0 else 1
        for n in range(count):
            guardians.append(
                (
                    Guardian(
                        join_key=f"g{index}-{n}",
                        first_name=f"Parent{index}-{n}",
                        last_name=f"Nom{index % 97}",
                        **seen,
                    ),
                    members,
                )
            )
    created = Guardian.objects.bulk_create(g for g, _ in guardians)
    for guardian, (_, members) in zip(created, guardians, strict=True):
        links += [
            GuardianLink(pupil=p, guardian=guardian, legal=1, relation="mother") for p in members
        ]
    GuardianLink.objects.bulk_create(links)
    staff = Staff.objects.bulk_create(
        Staff(join_key=f"s{i}", first_name=f"Agent{i}", last_name=f"Prof{i}", **seen)
        for i in range(len(classes) + 1)
    )
    StaffAssignment.objects.bulk_create(
        StaffAssignment(staff=s, school=school, is_director=i == 0) for i, s in enumerate(staff)
    )
    StaffClass.objects.bulk_create(
        StaffClass(staff=s, school_class=c) for s, c in zip(staff[1:], classes, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as after an import: the planner knows the tables' sizes
    print(f"  filled: {account_sync()} accounts, {len(created)} guardians, {PUPILS} pupils")


def child(db_url: str, index: int) -> None:
    _django(db_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts import services
    from accounts.letters import _fonts

    # A worker is warm: the URL configuration and the fonts are loaded once per process.
    reverse("account:activate")
    _fonts()
    name, profile, class_name, _what = STEPS[index]
    layout = "slips" if "slips" in name else "letter"
    batch_filter = "all" if "reprint" in name or "slips" in name else "not-activated"
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "letters.pdf"
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            batch = services.letter_batch_print(
                uai=UAI,
                class_name=class_name or "",
                profile=profile,
                batch_filter=batch_filter,
                layout=layout,
                out=out,
            )
        seconds = time.perf_counter() - started
        size = out.stat().st_size
    print(
        json.dumps(
            {
                "seconds": seconds,
                "letters": batch.count,
                "pages": batch.pages,
                "queries": len(queries.captured_queries),
                "status": batch.status,
                "bytes": size,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def renderer_only(db_url: str) -> None:
    """The renderer alone on 400 letters, for comparison."""
    _django(db_url)
    import datetime

    from django.utils import timezone

    from accounts.letters import BatchLetter, Cover, SchoolContact, letter_batch_render

    letters = [
        BatchLetter(
            login=f"eleve.nom{i}",
            kind="pupil",
            holder=f"Élève{i} Nom{i}",
            code="ABCDEFGHJK",
            expires_at=timezone.now() + datetime.timedelta(days=90),
            school="École élémentaire du Banc",
            school_class="CP-01",
        )
        for i in range(PUPILS)
    ]
    cover = Cover(
        title="CP-01",
        school="École",
        teachers=("Agent Prof",),
        count=PUPILS,
        printed_on=datetime.date.today(),
        printed_by="system",
    )
    started = time.perf_counter()
    _pdf, pages = letter_batch_render(
        [(cover, letters)],
        layout="letter",
        site_url="https://ent/",
        activate_url="https://ent/a",
        contact=SchoolContact(name="École"),
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "pages": pages}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep the last scratch database")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--renderer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db_url = os.environ.get("LETTERBENCH_DATABASE_URL", DEFAULT_DB)
    if args.child is not None:
        return child(db_url, args.child)
    if args.renderer:
        return renderer_only(db_url)
    if not args.reuse:
        print("Building the scratch database…")
        recreate_database(db_url)
        fill(db_url)
    print(
        f"{'step':32} {'s':>6} {'letters':>7} {'pages':>5} {'pages/s':>8} {'RSS MB':>7} "
        f"{'queries':>7}  ({PUPILS}-pupil school, one process per step)"
    )
    for index, (name, _profile, _class, what) in enumerate(STEPS):
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(index)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "LETTERBENCH_DATABASE_URL": db_url},
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{name:32} {result['seconds']:6.2f} {result['letters']:7d} {result['pages']:5d} "
            f"{result['pages'] / result['seconds']:8.0f} {result['peak_rss_mb']:7.0f} "
            f"{result['queries']:7d}  {what}"
        )
    done = subprocess.run(
        [sys.executable, __file__, "--renderer"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "LETTERBENCH_DATABASE_URL": db_url},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"{'renderer alone (letter layout)':32} {result['seconds']:6.2f} {'':7} "
        f"{result['pages']:5d} {result['pages'] / result['seconds']:8.0f}"
    )


if __name__ == "__main__":
    main()
