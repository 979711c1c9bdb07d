"""Planning: read a file set, compare it with the database, and list every change to make.

Pure of writes: it reads the database and returns a `Plan`; `services.import_run_plan` stores
it. Data minimisation happens here: persons are kept only when attached to a school where the
ENT is open, with only their links to open schools.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import orjson

from imports import state
from imports.aaf import (
    ERROR,
    WARNING,
    FeedFile,
    FeedFileError,
    FeedReader,
    Kind,
    Mode,
    Op,
    Problem,
    feed_file_from_name,
)
from schools.models import School

ALL_KINDS = frozenset(Kind)
_FILE_ORDER = (Kind.SCHOOL, Kind.PUPIL, Kind.GUARDIAN, Kind.STAFF)  # pupils tell which guardians


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    action: str  # create / update / leave / return
    key: str
    school_key: str
    data: dict


class Planned(NamedTuple):
    """A plan item as the planner holds it until stored: its data as JSON (the form it is
    stored in), which takes a third of a dict's memory on a first import."""

    kind: str
    action: str
    key: str
    school_key: str
    text: str


@dataclass
class Plan:
    mode: str
    feed_date: object
    files: list[FeedFile]
    items: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    school_counts: dict = field(default_factory=dict)
    record_counts: dict = field(default_factory=dict)
    # Inputs of the guards (imports/guards.py).
    active_before: dict = field(default_factory=dict)  # kind -> count of present rows
    active_by_school: dict = field(default_factory=dict)  # school_key -> present pupils+staff
    leaving_by_school: dict = field(default_factory=dict)
    pupils_by_school: dict = field(default_factory=dict)
    pupils_leaving_by_school: dict = field(default_factory=dict)
    dangling: int = 0
    references: int = 0
    missing_kinds: frozenset = frozenset()


class FileSetError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def identify(paths: Iterable[Path]) -> list[tuple[Path, FeedFile]]:
    """Name each file; one delivery (one date, one mode) per run."""
    found = []
    for path in paths:
        feed = feed_file_from_name(path.name)
        if feed is None:
            raise FileSetError("bad-name", f"{path.name}: not an AAF 1D file name.")
        found.append((path, feed))
    if not found:
        raise FileSetError("no-files", "No AAF file to import.")
    deliveries = {(feed.date, feed.mode) for _, feed in found}
    if len(deliveries) > 1:
        raise FileSetError(
            "mixed-deliveries",
            "The files belong to several deliveries (dates or Complet/Delta): import each alone.",
        )
    names = Counter(feed.name for _, feed in found)
    if any(n > 1 for n in names.values()):
        raise FileSetError("duplicate-file", "The same file was given twice.")
    return sorted(found, key=lambda pf: (_FILE_ORDER.index(pf[1].kind), pf[1].part))


def _changed(old: dict, new: dict) -> dict:
    return {name: value for name, value in new.items() if old.get(name) != value}


class _Wanted:
    """What the feed wants for one kind: every key it names, but the data (as canonical JSON
    text) only of the records that differ from the database. An unchanged re-import then holds
    keys, not copies; equal texts are equal records."""

    def __init__(self, current: state.Snapshot) -> None:
        self.current = current
        self.seen: set[str] = set()
        self.changed: dict[str, str] = {}

    def __setitem__(self, key: str, data: dict) -> None:
        self.seen.add(key)
        text = state.dump(data)
        if key not in self.current or self.current.is_left(key) or self.current.text(key) != text:
            self.changed[key] = text
        else:
            self.changed.pop(key, None)

    def setdefault(self, key: str, data: dict) -> None:
        if key not in self.seen:
            self[key] = data

    def __contains__(self, key: str) -> bool:
        return key in self.seen

    def __delitem__(self, key: str) -> None:
        self.seen.discard(key)
        self.changed.pop(key, None)

    def get(self, key: str) -> dict | None:
        if key in self.changed:
            return orjson.loads(self.changed[key])
        return self.current[key][0] if key in self.seen else None


class Planner:
    def __init__(self, files: list[tuple[Path, FeedFile]]):
        self.files = files
        first = files[0][1]
        self.mode = first.mode
        self.complet = first.mode == Mode.COMPLET
        self.plan = Plan(mode=str(first.mode), feed_date=first.date, files=[f for _, f in files])
        self.plan.missing_kinds = frozenset(ALL_KINDS - {f.kind for _, f in files})
        self.kinds_present = {f.kind for _, f in files}
        self.seen_keys: dict[str, set[str]] = defaultdict(set)
        self.linked_pupils: set[str] = set()  # pupils whose record restated their links
        self._leaving_pupils: set[str] = set()
        self.pupil_school: dict[str, str] = {}  # the school of each pupil the feed keeps

    # -- reading --------------------------------------------------------------------------
    def _records(self, kind: Kind):
        for path, feed in self.files:
            if feed.kind != kind:
                continue
            reader = FeedReader(path)
            for record in reader:
                if record.key in self.seen_keys[kind]:
                    # Parts of one kind form one file: a key twice across parts is a duplicate.
                    reader.problems.append(
                        Problem(ERROR, "duplicate-key", feed.name, record.line, record.key,
                                "Join key already seen in another part of this kind.")
                    )  # fmt: skip
                    continue
                self.seen_keys[kind].add(record.key)
                yield record
            self.plan.problems.extend(reader.problems)
            self.plan.record_counts[str(kind)] = self.plan.record_counts.get(str(kind), 0) + sum(
                reader.counts.get(op, 0) for op in ("add", "modify", "delete")
            )

    def _problem(self, level, code, identifier, message, file=""):
        self.plan.problems.append(Problem(level, code, file, None, identifier, message))

    def _unknown_person(self, key: str) -> None:
        self._problem(
            ERROR, "unknown-person", key, "A delta modifies a record entaix lacks: dropped."
        )

    # -- planning -------------------------------------------------------------------------
    def run(self) -> Plan:
        school_ids = state.school_keys_by_id()
        current = {
            "schools": state.load_schools(),
            "classes": state.load_classes(school_ids),
            "pupils": state.load_pupils(school_ids),
            "guardians": state.load_guardians(),
            "staff": state.load_staff(school_ids),
            "links": state.load_links(),
        }
        self.current = current
        open_keys = set(School.objects.filter(ent_open=True).values_list("join_key", flat=True))
        desired = {kind: _Wanted(current[kind]) for kind in state.KINDS}
        leaves = {kind: set() for kind in state.KINDS}

        # Schools: all of them are kept (so the city can open the ENT in any).
        for record in self._records(Kind.SCHOOL):
            if record.op == Op.DELETE:
                leaves["schools"].add(record.key)
                continue
            merged = self._merge("schools", record, state.school_from_record(record))
            if merged is not None:
                desired["schools"][record.key] = merged
        known_schools = set(current["schools"]) | desired["schools"].seen

        # Pupils: kept only in open schools; they name the guardians and classes to keep.
        needed_guardians: set[str] = set()
        for record in self._records(Kind.PUPIL):
            if record.op == Op.DELETE:
                leaves["pupils"].add(record.key)
                continue
            merged = self._pupil(record, open_keys, known_schools, desired, needed_guardians)
            if merged is None and not self.complet and record.key in current["pupils"]:
                leaves["pupils"].add(record.key)  # moved out of every open school

        # Guardians: kept only when a kept pupil links to them (or, in a delta, already known).
        for record in self._records(Kind.GUARDIAN):
            if record.op == Op.DELETE:
                leaves["guardians"].add(record.key)
                continue
            keep = record.key in needed_guardians or (
                not self.complet and record.key in current["guardians"]
            )
            if not keep and record.op == Op.MODIFY and not self.complet:
                self._unknown_person(record.key)
            if keep:
                merged = self._merge("guardians", record, state.guardian_from_record(record))
                if merged is not None:
                    desired["guardians"][record.key] = merged
        self._drop_dangling_links(desired)

        # Staff: kept when one of their schools is open, with only the open schools' links.
        for record in self._records(Kind.STAFF):
            if record.op == Op.DELETE:
                leaves["staff"].add(record.key)
                continue
            kept = self._staff(record, open_keys, desired)
            if not kept and not self.complet and record.key in current["staff"]:
                leaves["staff"].add(record.key)

        self._diff(desired, leaves)
        self._possible_duplicates(desired)
        return self.plan

    def _merge(self, kind: str, record, fresh: dict) -> dict | None:
        """A modify carries only some fields: keep the others from the database."""
        if record.op != Op.MODIFY:
            return fresh
        old = self.current[kind].get(record.key)
        if old is None:
            self._unknown_person(record.key)
            return None
        merged = dict(old[0])
        for name in fresh:
            if name in record.present:
                merged[name] = fresh[name]
        return merged

    def _pupil(self, record, open_keys, known_schools, desired, needed_guardians):
        open_schools = [key for key in record.school_keys if key in open_keys]
        if record.op == Op.MODIFY and "school_keys" not in record.present:
            old = self.current["pupils"].get(record.key)
            open_schools = [old[0]["school"]] if old and old[0]["school"] in open_keys else []
        for key in record.school_keys:
            if key not in known_schools:
                self.plan.dangling += 1
                self._problem(
                    WARNING,
                    "dangling-school",
                    record.key,
                    f"Pupil attached to unknown school key {key}.",
                )
        if not open_schools:
            return None
        school_key = open_schools[0]
        classes = []
        for kind, refs in (("class", record.classes), ("group", record.groups)):
            for key, data in state.class_refs(refs, kind):
                if data["school"] in open_keys:
                    desired["classes"][key] = data
                    classes.append(key)
        fresh = state.pupil_from_record(record, school_key=school_key, classes=classes)
        merged = self._merge("pupils", record, fresh)
        if merged is None:
            return None
        if record.op == Op.MODIFY and "classes" not in record.present:
            merged["classes"] = self.current["pupils"][record.key][0]["classes"]
        desired["pupils"][record.key] = merged
        self.pupil_school[record.key] = merged["school"]
        if record.op != Op.MODIFY or "guardian_links" in record.present:
            for link in record.guardian_links:
                key = state.link_key(record.key, link.guardian_key)
                desired["links"][key] = {
                    "pupil": record.key,
                    "guardian": link.guardian_key,
                    "relation": link.relation,
                    "legal": link.legal,
                    "financial": link.financial,
                    "contact": link.contact,
                }
                needed_guardians.add(link.guardian_key)
            self.linked_pupils.add(record.key)
        return merged

    def _drop_dangling_links(self, desired):
        known = desired["guardians"].seen | set(self.current["guardians"])
        # An unchanged link points to a guardian the database holds: only changed ones can dangle.
        self.plan.references += len(desired["links"].seen)
        for key in list(desired["links"].changed):
            pupil, guardian = state.link_ends(key)
            if guardian not in known:
                self.plan.dangling += 1
                self._problem(
                    WARNING,
                    "dangling-guardian",
                    pupil,
                    f"Pupil linked to unknown guardian key {guardian}.",
                )
                del desired["links"][key]

    def _staff(self, record, open_keys, desired) -> bool:
        by_school: dict[str, list] = defaultdict(list)
        for function in record.functions:
            by_school[function.school_key].append(
                {"code": function.code, "label": function.label,
                 "post_code": function.post_code, "post_label": function.post_label}
            )  # fmt: skip
        schools = set(record.school_keys) | set(by_school) | set(record.directed_school_keys)
        open_schools = sorted(schools & open_keys)
        if record.op == Op.MODIFY and not ({"functions", "school_keys"} & record.present):
            old = self.current["staff"].get(record.key)
            open_schools = sorted({a[0] for a in old[0]["assignments"]} & open_keys) if old else []
        if not open_schools:
            return False
        directed = set(record.directed_school_keys)
        assignments = [[key, key in directed, by_school.get(key, [])] for key in open_schools]
        classes = []
        for key, data in state.class_refs(record.classes, "class"):
            if data["school"] in open_keys:
                desired["classes"].setdefault(key, data)
                classes.append(key)
        fresh = state.staff_from_record(record, assignments=assignments, classes=classes)
        merged = self._merge("staff", record, fresh)
        if merged is None:
            return False
        if record.op == Op.MODIFY:
            if not ({"functions", "school_keys", "directed_school_keys"} & record.present):
                merged["assignments"] = self.current["staff"][record.key][0]["assignments"]
            if "classes" not in record.present:
                merged["classes"] = self.current["staff"][record.key][0]["classes"]
        desired["staff"][record.key] = merged
        return True

    # -- diff -----------------------------------------------------------------------------
    def _pupil_school_of(self, key: str) -> str:
        """The school a pupil will be in: the feed's when it keeps them, else the database's."""
        if key in self.pupil_school:
            return self.pupil_school[key]
        current = self.current["pupils"]
        return current.school(key) if key in current else ""

    def _school_of(self, kind: str, key: str, text: str | None, guardian_school: dict) -> str:
        """The school an item is counted in; `text` is the planned data (None for a leave)."""
        if kind == "schools":
            return key
        if kind == "classes":
            return key.split("|", 1)[0]
        if kind == "pupils":
            return self.pupil_school[key] if text is not None else self.current[kind].school(key)
        if kind == "staff":
            return state.staff_school(orjson.loads(text)) if text is not None else (
                self.current[kind].school(key)
            )  # fmt: skip
        if kind == "links":
            return self._pupil_school_of(state.link_ends(key)[0])
        return guardian_school.get(key, "")

    def _diff(self, desired, leaves):
        plan = self.plan
        counts = {kind: Counter() for kind in state.KINDS}
        per_school: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        guardian_school = {}
        current_links = self.current["links"]
        for key in (*desired["links"].changed, *current_links.present()):
            pupil, guardian = state.link_ends(key)
            school = self._pupil_school_of(pupil)
            if school:
                guardian_school.setdefault(guardian, school)

        def add(kind, action, key, text, school_key):
            plan.items.append(Planned(kind, action, key, school_key or "", text))
            counts[kind][_COUNT_NAME[action]] += 1
            if school_key:
                per_school[school_key][kind][_COUNT_NAME[action]] += 1

        gone_links: set[str] = set()
        for kind in state.KINDS:
            current = self.current[kind]
            present = current.present()
            wanted = desired[kind]
            # Seen and equal to the database: nothing to write.
            counts[kind]["unchanged"] += len(wanted.seen) - len(wanted.changed)
            for key, text in wanted.changed.items():
                school_key = self._school_of(kind, key, text, guardian_school)
                if key not in current:
                    add(kind, "create", key, text, school_key)
                    continue
                action = "return" if current.is_left(key) else "update"
                delta = _changed(current[key][0], orjson.loads(text))
                add(kind, action, key, state.dump(delta), school_key)
            if self.complet and self._kind_is_complete(kind):
                gone = set(present) - wanted.seen
            else:
                gone = set()
            gone |= {key for key in leaves[kind] if key in current and not current.is_left(key)}
            gone -= wanted.seen
            if kind == "links":
                ending = self.linked_pupils if not self.complet else set()
                leaving = leaves["pupils"] | self._leaving_pupils
                for key in present:
                    pupil = state.link_ends(key)[0]
                    # A delta restates a pupil's links: those it no longer lists end. A leaving
                    # pupil's links end with them.
                    if (pupil in ending and key not in wanted) or pupil in leaving:
                        gone.add(key)
                gone_links = gone
            if kind == "pupils":
                self._leaving_pupils = set(gone)
            for key in sorted(gone):
                school_key = self._school_of(kind, key, None, guardian_school)
                add(kind, "leave", key, "{}", school_key)
                if kind in ("pupils", "staff"):
                    plan.leaving_by_school[school_key] = (
                        plan.leaving_by_school.get(school_key, 0) + 1
                    )
                if kind == "pupils":
                    plan.pupils_leaving_by_school[school_key] = (
                        plan.pupils_leaving_by_school.get(school_key, 0) + 1
                    )
            plan.active_before[kind] = len(present)
            if kind in ("pupils", "staff"):
                for key in present:
                    school_key = current.school(key)
                    plan.active_by_school[school_key] = plan.active_by_school.get(school_key, 0) + 1
                    if kind == "pupils":
                        plan.pupils_by_school[school_key] = (
                            plan.pupils_by_school.get(school_key, 0) + 1
                        )
        # A guardian left with no present link to a kept pupil goes too (data minimisation).
        linked = {state.link_ends(key)[1] for key in desired["links"].changed} | {
            state.link_ends(key)[1] for key in current_links.present() if key not in gone_links
        }
        leaving = {i.key for i in plan.items if i.kind == "guardians" and i.action == "leave"}
        guardians = self.current["guardians"]
        for key in sorted(guardians.present()):
            if key not in linked and key not in leaving and key not in desired["guardians"]:
                add("guardians", "leave", key, "{}", "")
        plan.counts = {
            kind: {name: counts[kind][name] for name in _COUNT_NAMES} for kind in state.KINDS
        }
        plan.school_counts = {
            school: {kind: dict(counter) for kind, counter in kinds.items()}
            for school, kinds in sorted(per_school.items())
        }

    def _kind_is_complete(self, kind: str) -> bool:
        """Leaves are computed from a Complet only for the kinds whose file came."""
        needs = {
            "schools": {Kind.SCHOOL},
            "classes": {Kind.PUPIL, Kind.STAFF},
            "pupils": {Kind.PUPIL},
            "guardians": {Kind.GUARDIAN, Kind.PUPIL},
            "staff": {Kind.STAFF},
            "links": {Kind.PUPIL},
        }[kind]
        return needs <= self.kinds_present

    def _possible_duplicates(self, desired):
        """A new key with the name and birth date of someone who left: flag, never merge."""
        for kind in ("pupils", "staff"):
            leaving = {i.key for i in self.plan.items if i.kind == kind and i.action == "leave"}
            current = self.current[kind]
            left = {}
            for key in current:
                if current.is_left(key) or key in leaving:
                    data = current[key][0]
                    left[(data["last_name"].lower(), data["first_name"].lower(),
                          data["birth_date"])] = key  # fmt: skip
            if not left:
                continue
            for key, text in desired[kind].changed.items():
                if key in current:
                    continue
                data = orjson.loads(text)
                twin = left.get(
                    (data["last_name"].lower(), data["first_name"].lower(), data["birth_date"])
                )
                if twin:
                    self._problem(
                        WARNING,
                        "possible-duplicate",
                        key,
                        f"Same name and birth date as {twin}, who left: review.",
                    )


_COUNT_NAME = {"create": "created", "update": "updated", "leave": "left", "return": "returned"}
_COUNT_NAMES = ("created", "updated", "left", "returned", "unchanged")


def plan_files(paths: Iterable[Path]) -> Plan:
    """Identify, parse and diff. Raises FileSetError or FeedFileError before any write."""
    files = identify(paths)
    return Planner(files).run()


__all__ = ["FeedFileError", "FileSetError", "Item", "Plan", "plan_files"]
