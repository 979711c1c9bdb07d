"""After a transactional test every table is emptied by `flush`, as the root conftest makes it:
DELETE statements (not one TRUNCATE), leaving no row anywhere and the content types and
permissions recreated by post_migrate."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from schools.models import GuardianLink, Pupil

pytestmark = pytest.mark.django_db(transaction=True)


def _rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        return counts


def test_flush_deletes_every_row_of_every_table(two_schools):
    tables = connection.introspection.django_table_names(only_existing=True)
    sql = connection.ops.sql_flush(no_style(), tables)
    assert sql[0] == "SET CONSTRAINTS ALL DEFERRED;"
    assert sorted(sql[1:]) == sorted(f'DELETE FROM "{table}";' for table in tables)  # noqa: S608
    assert Pupil.objects.count() == 8 and GuardianLink.objects.count() == 8

    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)

    assert {table: n for table, n in _rows().items() if n} == {}
    # As after Django's own flush: post_migrate puts the content types and permissions back.
    call_command("flush", verbosity=0, interactive=False)
    assert ContentType.objects.get_for_model(Pupil).model == "pupil"
    assert Permission.objects.filter(codename="view_pupil").count() == 1


def test_with_reset_sequences_it_is_django_s_truncate():
    tables = ["schools_pupil", "schools_school"]
    assert connection.ops.sql_flush(no_style(), tables, reset_sequences=True) == [
        'TRUNCATE "schools_pupil", "schools_school" RESTART IDENTITY;'
    ]
