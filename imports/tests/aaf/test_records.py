"""imports.aaf.records: the names of feed files."""

from __future__ import annotations

import datetime

import pytest

from imports.aaf import (
    FeedFile,
    Kind,
    Mode,
    feed_file_from_name,
)


def test_feed_file_from_name_complet_and_delta() -> None:
    assert feed_file_from_name("ENT1D_Complet_20170522_Eleve_0000.xml") == FeedFile(
        name="ENT1D_Complet_20170522_Eleve_0000.xml",
        kind=Kind.PUPIL,
        mode=Mode.COMPLET,
        date=datetime.date(2017, 5, 22),
        part=0,
    )
    assert feed_file_from_name("/sftp/in/ENT1D_Delta_20260902_PersRelEleve_0003.xml") == FeedFile(
        name="ENT1D_Delta_20260902_PersRelEleve_0003.xml",
        kind=Kind.GUARDIAN,
        mode=Mode.DELTA,
        date=datetime.date(2026, 9, 2),
        part=3,
    )


@pytest.mark.parametrize(
    "name",
    [
        "ENT1D_Complet_20171399_Eleve_0000.xml",  # no such date
        "ENT1D_Partiel_20170522_Eleve_0000.xml",
        "ENT1D_Complet_20170522_Eleves_0000.xml",
        "ENT2D_Complet_20170522_Eleve_0000.xml",
        "ENT1D_Complet_20170522_Eleve_0000.xml.gz",
        "ENT1D_Complet_20170522_Eleve_00.xml",
        "",
    ],
)
def test_feed_file_from_name_rejects(name: str) -> None:
    assert feed_file_from_name(name) is None
