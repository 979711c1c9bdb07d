"""aaf_generate's older LDAP-alias shape and sets with a missing part, through the importer."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from devtools import feedgen
from imports import services
from imports.models import ImportRun
from schools.models import Guardian, Pupil, School, Staff

pytestmark = pytest.mark.django_db
Status = ImportRun.Status


def _options(**kwargs) -> feedgen.GenOptions:
    date = timezone.localdate() - datetime.timedelta(days=1)
    return feedgen.GenOptions(schools=2, pupils_per_school=12, seed=3, date=date, **kwargs)


def test_ldap_alias_set_imports_every_person_with_names_and_schools_with_contacts(tmp_path):
    feed = feedgen.generate_complet(tmp_path / "c", _options(ldap_aliases=True))
    pupils = next(path for path in feed.files if "_Eleve_" in path.name).read_text()
    assert '<attr name="sn">' in pupils and 'name="ENTPersonNom"' not in pupils
    run = services.import_files(paths=[tmp_path / "c"], trigger=ImportRun.Trigger.COMMAND)
    assert run.status == Status.APPLIED
    assert list(run.problems.values_list("code", flat=True)) == []
    opened = services.school_open_reconcile(uais=feed.school_uais, opened_on=timezone.localdate())
    assert opened.status == Status.APPLIED
    assert opened.problems.count() == 0
    assert Pupil.objects.count() == feed.counts["pupils"]
    assert Guardian.objects.count() == feed.counts["guardians"]
    assert Staff.objects.count() == feed.counts["staff"]
    for model in (Pupil, Staff):
        assert not model.objects.filter(Q(last_name="") | Q(first_name="")).exists()
    assert not Guardian.objects.filter(last_name="").exists()
    assert not User.objects.filter(login__startswith="compte").exists()
    assert User.objects.filter(pupil__isnull=False).count() == feed.counts["pupils"]
    schools = School.objects.all()
    assert [bool(s.address and s.postal_code and s.city and s.phone and s.email)
            for s in schools] == [True, True]  # fmt: skip


def test_a_generated_set_with_a_missing_part_is_refused(tmp_path):
    call_command(
        "aaf_generate", "--out", str(tmp_path / "c"), "--schools", "2",
        "--pupils-per-school", "12", "--seed", "3", "--max-records-per-file", "10",
        "--date", _options().date.isoformat(), "--drop-part", "Eleve_0001",
    )  # fmt: skip
    stamp = f"{_options().date:%Y%m%d}"
    pupils = sorted(path.name for path in (tmp_path / "c").glob("*_Eleve_*.xml"))
    assert pupils == [
        f"ENT1D_Complet_{stamp}_Eleve_0000.xml",
        f"ENT1D_Complet_{stamp}_Eleve_0002.xml",
    ]
    run = services.import_files(paths=[tmp_path / "c"], trigger=ImportRun.Trigger.COMMAND)
    assert run.status == Status.FAILED
    assert list(run.problems.values_list("code", "message")) == [
        ("missing-part",
         f"Le lot est incomplet : il manque ENT1D_Complet_{stamp}_Eleve_0001.xml (les parties de "
         "Eleve doivent aller de _0000 à _0002 sans trou).")
    ]  # fmt: skip
    assert School.objects.count() == 0


def test_drop_part_names_the_parts_it_knows(tmp_path):
    feed = feedgen.generate_complet(tmp_path / "c", _options())
    with pytest.raises(ValueError, match="no part Eleve_0003"):
        feedgen.drop_part(feed, "Eleve_0003")
