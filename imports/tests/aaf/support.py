"""What the parser tests share: the fixture sets, reading a file, a pupil's XML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imports.aaf import (
    FeedFileError,
    FeedReader,
    Kind,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aaf"


COMPLET = FIXTURES / "complet_20260901"


DELTA = FIXTURES / "delta_20260902"


QUIRKS = FIXTURES / "quirks"


BAD = FIXTURES / "bad"


PUPIL_FIELDS = frozenset(
    {
        "birth_date",
        "birth_name",
        "last_name",
        "first_name",
        "other_first_names",
        "civility",
        "school_keys",
        "guardian_links",
        "canteen",
        "transport",
        "morning_care",
        "evening_care",
        "supervised_study",
        "level",
        "cycle",
        "class_type",
        "classes",
        "groups",
        "ine",
    }
)


GUARDIAN_FIELDS = frozenset(
    {
        "birth_name",
        "last_name",
        "first_name",
        "other_first_names",
        "civility",
        "address",
        "postal_code",
        "city",
        "country",
        "home_phone",
        "mobile_phone",
        "work_phone",
        "email",
    }
)


HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    "<ficAlimMENESR>\n"
)


def read(path: Path, kind: Kind | None = None) -> tuple[list[Any], FeedReader]:
    reader = FeedReader(path, kind=kind)
    return list(reader), reader


def file_error(path: Path, kind: Kind | None = None, yields: int = 0) -> FeedFileError:
    """The FeedFileError of a file, checking how many records were yielded before it."""
    reader = FeedReader(path, kind=kind)
    yielded: list[Any] = []
    with pytest.raises(FeedFileError) as caught:
        yielded.extend(reader)
    assert len(yielded) == yields
    return caught.value


def pupil_xml(key: str, extra: str = "") -> str:
    return (
        "<addRequest>\n"
        '<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr>'
        "</operationalAttributes>\n"
        f"<identifier><id>{key}</id></identifier>\n"
        "<attributes>\n"
        f'<attr name="ENTPersonJointure"><value>{key}</value></attr>\n'
        f'<attr name="ENTPersonNom"><value>NOM{key}</value></attr>\n'
        f"{extra}"
        f'<attr name="ENTPersonPrenom"><value>P{key}</value></attr></attributes>\n'
        "</addRequest>\n"
    )
