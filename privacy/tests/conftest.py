import datetime
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from accounts import services as account_services
from entaix.tests import factories
from privacy import services
from privacy.models import DataRequest

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in Redis: every test starts from zero."""
    cache.clear()


@pytest.fixture(autouse=True)
def private_dirs(settings, tmp_path):
    """Attachments, exports and raw feed files of these tests live in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AAF_INBOX_DIR = str(tmp_path / "inbox")
    settings.GDPR_DPO_EMAIL = "dpo@mairie-aixenprovence.fr"
    settings.CITY_ALERT_EMAIL = ""
    return tmp_path


@pytest.fixture
def family(db):
    """Léa and Tom N'Diaye; their mother (authority 1), Léa's father (2), a grandmother (0)."""
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    other = factories.SchoolFactory(name="École Puyricard", uai="0130004D")
    ce1 = factories.SchoolClassFactory(school=school, name="CE1 A")
    cm2 = factories.SchoolClassFactory(school=school, name="CM2 B")
    lea = factories.PupilFactory(
        school=school,
        first_name="Léa",
        last_name="N'Diaye",
        join_key="ELV-7301-LEA",
        birth_date=datetime.date(2018, 3, 4),
        ine="070123456AB",
    )
    tom = factories.PupilFactory(
        school=school, first_name="Tom", last_name="N'Diaye", birth_date=datetime.date(2015, 9, 1)
    )
    factories.enrol(lea, ce1)
    factories.enrol(tom, cm2)
    mother = factories.GuardianFactory(
        first_name="Aïssatou",
        last_name="N'Diaye",
        email="aissatou@example.fr",
        mobile_phone="0611223344",
        address="3 rue Sextius",
        postal_code="13100",
        city="Aix-en-Provence",
    )
    father = factories.GuardianFactory(
        first_name="Moussa",
        last_name="Diallo",
        email="moussa.diallo@example.fr",
        join_key="RESP-7302-MD",
        mobile_phone="0699887766",
        home_phone="0442000000",
        address="8 cours Mirabeau",
    )
    grandmother = factories.GuardianFactory(
        first_name="Fatou", last_name="Sow", email="fatou.sow@example.fr", mobile_phone="0655443322"
    )
    factories.link(lea, mother, legal=1, relation="mother")
    factories.link(tom, mother, legal=1, relation="mother")
    factories.link(lea, father, legal=2, relation="father")
    factories.link(lea, grandmother, legal=0, relation="family", financial=False)
    director = factories.make_director(school, account__login="dir.sextius")
    director.email = "dir.sextius@ac-aix-marseille.fr"
    director.save(update_fields=["email"])
    other_director = factories.make_director(other, account__login="dir.puyricard")
    teacher = factories.make_teacher(ce1, account__login="ens.ce1")
    account_services.account_sync()
    for person in (lea, tom, mother, father, grandmother):
        person.refresh_from_db()
    return SimpleNamespace(
        school=school,
        other=other,
        ce1=ce1,
        cm2=cm2,
        lea=lea,
        tom=tom,
        mother=mother,
        father=father,
        grandmother=grandmother,
        director=director,
        other_director=other_director,
        teacher=teacher,
    )


def file_request(family, **overrides) -> DataRequest:
    """A parent's access request about Léa, as the public form files it."""
    values = {
        "kind": DataRequest.Kind.ACCESS,
        "requester_name": "Aïssatou N'Diaye",
        "requester_email": "aissatou@example.fr",
        "relation": DataRequest.Relation.PARENT,
        "child_first_name": "Lea",
        "child_last_name": "NDIAYE",
        "child_birth_date": datetime.date(2018, 3, 4),
        "school": family.school,
        "message": "",
    }
    values.update(overrides)
    return services.data_request_create(**values)


def apply_import(items, *, feed_date=None, problems=()):
    """Apply a stored plan as the importer does: [(kind, action, key, data), …] → the run.
    `problems`: unsaved ImportProblem rows the planner found (their run is set here)."""
    from django.utils import timezone

    from imports import selectors as import_selectors
    from imports.models import ImportPlanItem, ImportRun
    from imports.services import import_run_apply, plan_hash

    run = ImportRun.objects.create(
        status=ImportRun.Status.PLANNED,
        trigger=ImportRun.Trigger.COMMAND,
        base_run=import_selectors.import_run_last_applied(),
        feed_date=feed_date or timezone.localdate(),
        mode="Delta",
    )
    rows = [
        ImportPlanItem(run=run, seq=seq, kind=kind, action=action, key=key, data=data)
        for seq, (kind, action, key, data) in enumerate(items)
    ]
    ImportPlanItem.objects.bulk_create(rows)
    for problem in problems:
        problem.run = run
        problem.save()
    run.plan_hash = plan_hash(run_id=run.pk)
    run.save(update_fields=["plan_hash"])
    return import_run_apply(run_id=run.pk)


def text_columns() -> list[tuple[str, str]]:
    """(table, column) of every text, varchar and JSON column of the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json', 'character') ORDER BY 1, 2"
        )
        return cursor.fetchall()


def where_found(needles) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a needle appears, case-insensitive, anywhere."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found


@pytest.fixture
def city_user(db):
    """The data-protection officer: the city-staff role that owns the register (issue 20)."""
    from accounts.models import User

    return factories.UserFactory(
        login="agent.ville", kind=User.Kind.CITY, city_role=User.CityRole.DPO
    )
