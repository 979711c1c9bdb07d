"""imports.aaf.reader: the usual record read through its compiled layout gives exactly what
the generic reading gives, on every shape; ``records.build`` equals the dataclass constructor."""

from __future__ import annotations

import pickle
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import imports.aaf.reader as reader_module
from imports.aaf import (
    ClassRef,
    FeedFileError,
    FeedReader,
    GuardianLink,
    Kind,
    Op,
    PupilRecord,
    SchoolRecord,
    StaffFunction,
    build,
)
from imports.tests.aaf.support import BAD, COMPLET, DELTA, HEADER, QUIRKS


def _outcome(path: Path, kind: Kind | None) -> tuple[Any, ...]:
    reader = FeedReader(path, kind=kind)
    records: list[Any] = []
    try:
        records.extend(reader)
    except FeedFileError as error:
        return ("error", error.code, error.message, error.line, records, reader.problems)
    return (records, reader.problems, reader.counts, reader.notices)


def _both(path: Path, kind: Kind | None, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """What the reader gives, and what it gives when every body is read generically."""
    fast = _outcome(path, kind)
    with monkeypatch.context() as patch:
        patch.setattr(reader_module, "_regular", lambda body, child_tag: None)
        generic = _outcome(path, kind)
    return fast, generic


FEED_FILES = sorted(path for folder in (COMPLET, DELTA, QUIRKS) for path in folder.glob("*.xml"))


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda path: path.name)
def test_fixture_feeds_read_the_same_through_layouts(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, generic = _both(path, None, monkeypatch)
    assert fast == generic
    assert fast[0]  # records were read (the check above is not between two empty lists)


@pytest.mark.parametrize("path", sorted(BAD.glob("*.xml")), ids=lambda path: path.name)
@pytest.mark.parametrize("kind", list(Kind))
def test_bad_files_read_the_same_through_layouts(
    path: Path, kind: Kind, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, generic = _both(path, kind, monkeypatch)
    assert fast == generic


def _attr(name: str, *values: str) -> str:
    return f'<attr name="{name}">' + "".join(f"<value>{v}</value>" for v in values) + "</attr>\n"


def _pupil(key: str, body: str, request: str = "addRequest") -> str:
    return (
        f"<{request}>\n"
        '<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr>'
        "</operationalAttributes>\n"
        f"<identifier><id>{key}</id></identifier>\n"
        f"<attributes>\n{body}</attributes>\n"
        f"</{request}>\n"
    )


_NAMES = _attr("ENTPersonNom", "NOM") + _attr("ENTPersonPrenom", "Léa")
# Shapes that the value walk cannot group (each read child by child), shapes that make a
# layout not plain (aliases, repeated names, two join attributes), and plain ones with
# unknown, ignored, 2D, "$" and bad values; each twice, so that a layout is reused.
SHAPES = {
    "plain": _NAMES + _attr("ENTPersonJointure", "{key}") + _attr("ENTEleveNiveau", " CP "),
    "attr-without-value": _NAMES + '<attr name="ENTEleveNiveau"/>\n',
    "empty-value": _NAMES
    + _attr("ENTEleveNiveau", "")
    + "<attr name='ENTEleveCycle'><value/></attr>",
    "stray-value": _NAMES + "<value>CP</value>\n" + _attr("ENTEleveNiveau", "CE1"),
    "nested-value": _NAMES
    + '<attr name="ENTEleveNiveau"><value>CE1<value>CE2</value></value></attr>\n',
    "value-in-other-element": _NAMES
    + '<attr name="ENTEleveNiveau"><x><value>CE2</value></x><value>CE1</value></attr>\n',
    "other-element": _NAMES + '<other name="ENTEleveNiveau"><value>CE1</value></other>\n',
    "nameless-attr": _NAMES + "<attr><value>CE1</value></attr>\n",
    "padded-name": _NAMES + _attr(" ENTEleveNiveau ", "CE1"),
    "aliases": _attr("sn", "ALIAS") + _NAMES + _attr("givenName", "Zoé") + _attr("mail", "x"),
    "alias-only": _attr("sn", "ALIAS") + _attr("givenName", "Zoé"),
    "repeated-name": _NAMES + _attr("ENTEleveNiveau", "") + _attr("ENTEleveNiveau", "CM1"),
    "two-joins": _NAMES + _attr("ENTPersonJointure", "") + _attr("ENTPersonJointure", "{key}"),
    "join-differs": _NAMES + _attr("ENTPersonJointure", "other"),
    "unknown-and-ignored": _NAMES
    + _attr("Mystery", "1")
    + _attr("ENTEleveDateEntreeClasses", "x")
    + _attr("Mystery2"),
    "2d-classes": _NAMES + _attr("ENTEleveClasses", "1$CL1"),
    "dollar-names": _attr("ENTPersonNom", "DE$LA$ROSE") + _attr("ENTPersonPrenom", "A$$B"),
    "bad-values": _NAMES
    + _attr("ENTPersonDateNaissance", "31/02/2019")
    + _attr("ENTEleveTransport", "peut-être")
    + _attr("ENTPersonClasses", "1$2$3", "S1$x$y$CL1$CP A", "S1$x$y$CL1$CP A")
    + _attr("ENTElevePersRelEleve", "9$99$1$1$0", "8$1$maybe$1$1", "7$1$1$5$1", "6$2$1$1$1$1")
    + _attr("ENTEleveAutoriteParentale", "6", "5$x", ""),
    "missing-name": _attr("ENTPersonNom", "NOM") + _attr("ENTPersonPrenom", " "),
    "several-values": _attr("ENTPersonNom", "", " NOM ")
    + _attr("ENTPersonPrenom", "A", "B")
    + _attr("ENTPersonAutresPrenoms", "X", "", "Y", "X"),
}


def _shapes_file(tmp_path: Path, request: str = "addRequest") -> Path:
    name = "Complet" if request == "addRequest" else "Delta"
    path = tmp_path / f"ENT1D_{name}_20260901_Eleve_0000.xml"
    body = "".join(
        _pupil(f"{index}{copy}", shape.replace("{key}", f"{index}{copy}"), request)
        for index, shape in enumerate(SHAPES.values())
        for copy in "ab"
    )
    path.write_text(HEADER + body + "</ficAlimMENESR>\n", encoding="utf-8")
    return path


def test_every_shape_reads_the_same_through_layouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grouped: list[bool] = []
    regular = reader_module._regular

    def spy(body: Any, child_tag: str) -> Any:
        result = regular(body, child_tag)
        grouped.append(result is not None)
        return result

    monkeypatch.setattr(reader_module, "_regular", spy)
    fast, generic = _both(_shapes_file(tmp_path), None, monkeypatch)
    assert fast == generic
    # Both readings were compared: 6 shapes x 2 copies cannot be grouped by the value walk.
    assert (grouped.count(True), grouped.count(False)) == (2 * len(SHAPES) - 12, 12)
    records, problems = fast[0], fast[1]
    by_key = {record.key: record for record in records}
    assert by_key["0a"].level == "CP"  # a plain layout, stripped
    assert by_key["8a"].level == "CE1"  # the padded name is read
    # The ENTPerson* attribute wins over its alias, whatever the order.
    assert (by_key["9a"].last_name, by_key["9a"].first_name) == ("NOM", "Léa")
    assert (by_key["10a"].last_name, by_key["10a"].first_name) == ("ALIAS", "Zoé")
    assert by_key["11a"].level == "CM1"
    assert by_key["16a"].last_name == "DE LA ROSE"
    assert by_key["19a"].other_first_names == ("X", "Y")
    assert (by_key["19a"].last_name, by_key["19a"].first_name) == ("NOM", "A")
    assert "13a" not in by_key and "18a" not in by_key  # key mismatch, missing name
    assert {(p.code, p.identifier) for p in problems} >= {
        ("key-mismatch", "13a"),
        ("missing-name", "18a"),
        ("bad-date", "17a"),
        ("bad-boolean", "17a"),
        ("bad-class-value", "17a"),
        ("unknown-relation", "17a"),
        ("bad-guardian-link", "17a"),
        ("unknown-attribute", None),
        ("dollar-separated-value", None),
        ("classes-2d", None),
    }
    assert by_key["17a"].guardian_links == (
        GuardianLink(guardian_key="9", relation="other", financial=True, legal=1, contact=False),
        GuardianLink(guardian_key="6", relation="mother", financial=True, legal=1, contact=True),
        GuardianLink(guardian_key="5", relation="", financial=False, legal=2, contact=True),
    )
    assert by_key["17a"].classes == (ClassRef(school_key="S1", code="CL1", name="CP A"),)


def test_every_shape_of_a_delta_reads_the_same_through_layouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _shapes_file(tmp_path, "modifyRequest")
    text = path.read_text(encoding="utf-8")
    text = text.replace("<attributes>", "<modifications>").replace(
        "</attributes>", "</modifications>"
    )
    text = re.sub(r"<attr(?=[\s/>])", "<modification operation='replace'", text)
    text = text.replace("</attr>", "</modification>")
    # The category stays an attr of operationalAttributes; one operation is not a replace.
    text = re.sub(
        r"<operationalAttributes>.*?</operationalAttributes>",
        '<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr>'
        "</operationalAttributes>",
        text,
    )
    text = text.replace(
        "<modification operation='replace' name=\"ENTEleveNiveau\"><value> CP",
        "<modification operation='add' name=\"ENTEleveNiveau\"><value> CP",
        1,
    )
    path.write_text(text, encoding="utf-8")
    fast, generic = _both(path, None, monkeypatch)
    assert fast == generic
    assert fast[0] != "error", fast
    records, problems = fast[0], fast[1]
    assert {record.op for record in records} == {Op.MODIFY}
    by_key = {record.key: record for record in records}
    assert by_key["0a"].present == frozenset({"last_name", "first_name"})
    assert by_key["0b"].present == frozenset({"last_name", "first_name", "level"})
    assert ("bad-operation", "0a") in {(p.code, p.identifier) for p in problems}


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (SchoolRecord, {"op": Op.ADD, "key": "1", "line": 3}),
        (
            PupilRecord,
            {
                "op": Op.MODIFY,
                "key": "2",
                "line": 4,
                "present": frozenset({"level"}),
                "level": "CP",
                "classes": (ClassRef("S", "C", "N"),),
            },
        ),
        (ClassRef, {"school_key": "S", "code": "C", "name": "N"}),
        (
            GuardianLink,
            {"guardian_key": "g", "relation": "", "financial": False, "legal": 1, "contact": True},
        ),
        (
            StaffFunction,
            {"school_key": "S", "code": "D", "label": "", "post_code": "", "post_label": ""},
        ),
    ],
)
def test_build_is_the_constructor(cls: type, values: dict[str, Any]) -> None:
    built = build(cls, values)
    made = cls(**values)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert vars(built) == vars(made)  # every field, defaults included
    assert pickle.loads(pickle.dumps(built)) == made  # noqa: S301 - our own bytes
    with pytest.raises(AttributeError):
        built.key = "other"  # type: ignore[misc]
    first = next(iter(vars(made)))
    assert replace(built, **{first: vars(made)[first]}) == made


def test_an_empty_body_and_layouts_that_follow_each_other(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    names = _attr("ENTPersonNom", "NOM") + _attr("ENTPersonPrenom", "Léa")
    path.write_text(
        HEADER
        + _pupil("1", "")  # no attribute at all: the names are missing
        + _pupil("2", names)
        + _pupil("3", names + _attr("ENTEleveNiveau", "CP"))
        + _pupil("4", names)
        + "</ficAlimMENESR>\n",
        encoding="utf-8",
    )
    reader = FeedReader(path)
    records = list(reader)
    assert [(r.key, r.last_name, r.level) for r in records] == [
        ("2", "NOM", ""),
        ("3", "NOM", "CP"),
        ("4", "NOM", ""),
    ]
    assert [(p.code, p.identifier) for p in reader.problems] == [("missing-name", "1")]


def test_converter_caches_are_emptied_once_a_file_is_read(tmp_path: Path) -> None:
    from imports.aaf import values

    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    body = (
        _NAMES
        + _attr("ENTPersonDateNaissance", "02/03/2019")
        + _attr("ENTPersonClasses", "S1$x$y$CL1$CP A")
        + _attr("ENTElevePersRelEleve", "9$10$1$1$1")
    )
    path.write_text(
        HEADER + _pupil("1", body) + _pupil("2", body) + "</ficAlimMENESR>\n", encoding="utf-8"
    )
    records = iter(FeedReader(path))
    first = next(records)
    caches = (reader_module._date, values._class_ref, values._link)
    assert [cache.cache_info().currsize for cache in caches] == [1, 1, 1]
    assert [first.key, *(record.key for record in records)] == ["1", "2"]
    assert [cache.cache_info().currsize for cache in caches] == [0, 0, 0]
