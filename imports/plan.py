"""Planning: read a file set, compare it with the database, and list every change to make.

No domain row is written: the records the feed wants are staged in temporary tables
(imports/stage.py), compared with the directory there (imports/diff.py), and the changes listed
in `st_plan`, which `services.import_run_plan` stores. Python holds one record at a time, the
records a delta modifies, the classes, and the reader's set of keys per file (to catch a key
given twice): a few tens of bytes per record, not the records. Data minimisation happens here:
persons are kept only when attached to a school where the ENT is open, with only their links to
open schools.
"""

# SQL is built here from constant table names; values always go as parameters.

import contextlib
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext

from entaix.common.db import rows_in
from imports import stage, state
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
from imports.aaf.reader import NOTICE_CODES, notice_problems
from imports.diff import Diff
from schools.models import School

logger = logging.getLogger(__name__)
ALL_KINDS = frozenset(Kind)
_FILE_ORDER = (Kind.SCHOOL, Kind.PUPIL, Kind.GUARDIAN, Kind.STAFF)  # pupils tell which guardians


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    action: str  # create / update / leave / return
    key: str
    school_key: str
    data: dict
    digest: int | None = None  # of the whole record once applied; None for a leave


@dataclass
class Plan:
    mode: str
    feed_date: object
    files: list[FeedFile]
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
    # Delta modifies and deletes of persons entaix does not keep (their schools are closed).
    skipped: dict = field(default_factory=dict)  # kind -> count
    held_reasons: list = field(default_factory=list)  # set by a dry run (services)

    @property
    def item_count(self) -> int:
        """Items to write (they stay in st_plan until stored): all but the unchanged."""
        return sum(n for c in self.counts.values() for name, n in c.items() if name != "unchanged")


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
            raise FileSetError(
                "bad-name", gettext("%(name)s: not an AAF 1D file name.") % {"name": path.name}
            )
        found.append((path, feed))
    if not found:
        raise FileSetError("no-files", gettext("No AAF file to import."))
    deliveries = {(feed.date, feed.mode) for _, feed in found}
    if len(deliveries) > 1:
        raise FileSetError(
            "mixed-deliveries",
            gettext(
                "The files belong to several deliveries (dates or Complet/Delta): "
                "import each alone."
            ),
        )
    names = Counter(feed.name for _, feed in found)
    if any(n > 1 for n in names.values()):
        raise FileSetError("duplicate-file", gettext("The same file was given twice."))
    _check_parts([feed for _, feed in found])
    return sorted(found, key=lambda pf: (_FILE_ORDER.index(pf[1].kind), pf[1].part))


def _check_parts(feeds: list[FeedFile]) -> None:
    """The parts of a kind run _0000…_N without a gap: a missing part is a missing file."""
    parts: dict[Kind, set[int]] = defaultdict(set)
    for feed in feeds:
        parts[feed.kind].add(feed.part)
    for kind in sorted(parts, key=_FILE_ORDER.index):
        missing = sorted(set(range(max(parts[kind]) + 1)) - parts[kind])
        if missing:
            feed = feeds[0]
            names = ", ".join(
                f"ENT1D_{feed.mode}_{feed.date:%Y%m%d}_{kind}_{part:04d}.xml" for part in missing
            )
            raise FileSetError(
                "missing-part",
                gettext(
                    "The set is incomplete: %(names)s is missing (the parts of %(kind)s must run "
                    "from _0000 to _%(last)s without a gap)."
                )
                % {"names": names, "kind": kind, "last": f"{max(parts[kind]):04d}"},
            )


_ITEM_COLUMNS = ("kind", "key", "school", "digest", "data", "pupil", "guardian", "twin")


class Planner:
    def __init__(self, files: list[tuple[Path, FeedFile]]):
        self.files = files
        first = files[0][1]
        self.mode = first.mode
        self.complet = first.mode == Mode.COMPLET
        self.plan = Plan(mode=str(first.mode), feed_date=first.date, files=[f for _, f in files])
        self.plan.missing_kinds = frozenset(ALL_KINDS - {f.kind for _, f in files})
        self.kinds_present = {f.kind for _, f in files}
        # Keys are remembered only to catch a key repeated across the parts of one kind (the
        # reader catches repeats within a file).
        parts = Counter(f.kind for _, f in files)
        self.seen_keys: dict[str, set[str]] = {kind: set() for kind, n in parts.items() if n > 1}
        self.items = stage.Writer("st_item", _ITEM_COLUMNS)
        self.gone = stage.Writer("st_gone", ("kind", "key"))
        self.restated = stage.Writer("st_restated", ("key",))
        self.classes: dict[str, dict] = {}
        self.old: dict[str, dict] = {}  # directory rows of the records a delta modifies
        self.needed: set[str] = set()  # of those, guardians a kept pupil links to
        self.open_keys: set[str] = set()
        self.known_schools: set[str] = set()
        self.unknown: set[str] = set()  # keys reported unknown-person

    # -- reading --------------------------------------------------------------------------
    def _records(self, kind: Kind):
        seen = self.seen_keys.get(kind)
        notices: dict[tuple[str, str], list[int]] = {}
        notice_files: dict[tuple[str, str], str] = {}
        for path, feed in self.files:
            if feed.kind != kind:
                continue
            reader = FeedReader(path)
            for record in reader:
                if seen is not None:
                    if record.key in seen:
                        # Parts of one kind form one file: a key twice across parts is a duplicate.
                        reader.problems.append(
                            Problem(ERROR, "duplicate-key", feed.name, record.line, record.key,
                                    "Join key already seen in another part of this kind.")
                        )  # fmt: skip
                        continue
                    seen.add(record.key)
                yield record
            # Said once per run: the parts of a kind are merged.
            self.plan.problems.extend(p for p in reader.problems if p.code not in NOTICE_CODES)
            for notice, (count, line) in reader.notices.items():
                notice_files.setdefault(notice, feed.name)
                notices.setdefault(notice, [0, line])[0] += count
            self.plan.record_counts[str(kind)] = self.plan.record_counts.get(str(kind), 0) + sum(
                reader.counts.get(op, 0) for op in ("add", "modify", "delete")
            )
        for notice, entry in notices.items():
            self.plan.problems.extend(notice_problems(notice_files[notice], kind, {notice: entry}))

    def _pass(self, kind: Kind, name: str, handle) -> None:
        self._modified(name, self._read(kind, name, handle), handle)

    def _read(self, kind: Kind, name: str, handle) -> list:
        """Deletes are staged as leaves, adds handled as they stream by; records a delta
        modifies are returned, to be handled once their rows are read in one go."""
        modifies = []
        for record in self._records(kind):
            if record.op == Op.DELETE:
                self.gone.add(name, record.key)
            elif record.op == Op.MODIFY:
                modifies.append(record)
            else:
                handle(record)
        return modifies

    def _modified(self, name: str, modifies: list, handle) -> None:
        if not modifies:
            return
        keys = [record.key for record in modifies]
        self.old = state.rows(name, keys)
        if name == "guardians":
            self.items.flush()
            self.needed = self._linked_guardians(keys)
        for record in modifies:
            handle(record)
        self.old, self.needed = {}, set()

    # -- a second process for the guardian and staff files ----------------------------------
    def _helper_start(self):
        """Guardians and staff depend on the pupils only through the records a delta
        modifies: a second process reads their files while this one reads the pupils'."""
        files = [(path, feed) for path, feed in self.files if feed.kind in _HELPER_KINDS]
        minimum = settings.IMPORT_PARALLEL_MIN_BYTES
        size = sum(path.stat().st_size for path, _ in self.files)
        if connection.vendor != "postgresql" or not files or minimum < 0 or size < minimum:
            return None
        folder = Path(tempfile.mkdtemp(prefix="entaix-plan-"))
        job = {"files": files, "complet": self.complet, "open_keys": self.open_keys,
               "known_schools": self.known_schools, "folder": str(folder)}  # fmt: skip
        if threading.active_count() == 1:
            # A fork inherits this set-up Django: a new interpreter spends about a CPU second
            # importing it again. Only alone: a fork copies the locks other threads may hold.
            return _Fork(job, folder), folder
        (folder / "job").write_bytes(pickle.dumps(job))
        process = subprocess.Popen(
            [sys.executable, "-m", "imports.plan_helper", str(folder)], cwd=settings.BASE_DIR
        )
        return process, folder

    def _helper_stop(self, helper) -> None:
        process, folder = helper
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)

    def _helper_join(self, helper) -> None:
        process, folder = helper
        try:
            result = None
            if process.wait() == 0:
                result = pickle.loads((folder / "result").read_bytes())  # noqa: S301 - ours
            else:
                logger.warning("the planner's helper process failed: reading in this one")
            if result is None:
                for kind in _HELPER_KINDS:
                    self._pass(kind, _HELPER_KINDS[kind], self._handler(kind))
                return
            if "error" in result:
                raise FeedFileError(**result["error"])
            self.items.flush()
            self.gone.flush()
            stage.load_file("st_item", _ITEM_COLUMNS, folder / "items")
            stage.load_file("st_gone", ("kind", "key"), folder / "gone")
            self.plan.record_counts.update(result["record_counts"])
            for key, data in result["classes"].items():
                self.classes.setdefault(key, data)  # the pupils' say wins, as in one process
            for kind, name in _HELPER_KINDS.items():
                problems, modifies = result["kinds"][name]
                self.plan.problems.extend(problems)
                self._modified(name, modifies, self._handler(kind))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _handler(self, kind: Kind):
        return {Kind.GUARDIAN: self._guardian, Kind.STAFF: self._staff}[kind]

    def _problem(self, level, code, identifier, message, file=""):
        self.plan.problems.append(Problem(level, code, file, None, identifier, message))

    def _unknown_person(self, key: str) -> None:
        """A delta modifies someone of an open school whom earlier feeds should have given
        us (people of closed schools are only counted, see `_count_skipped`)."""
        self._problem(
            WARNING,
            "unknown-person",
            key,
            "A delta modifies a person of an open school whom entaix lacks: dropped.",
        )
        self.unknown.add(key)

    def _stage(self, kind, key, data, *, school="", pupil="", guardian="", twin="") -> None:
        text = state.dump(data)
        self.items.add(kind, key, school, state.digest(text), text, pupil, guardian, twin)

    # -- planning -------------------------------------------------------------------------
    def run(self) -> Plan:
        stage.create()
        stage.load_directory()
        schools = School.objects.values_list("join_key", "ent_open")
        self.open_keys = {key for key, is_open in schools if is_open}
        self.known_schools = {key for key, _ in schools}

        # Schools: all of them are kept (so the city can open the ENT in any).
        self._pass(Kind.SCHOOL, "schools", self._school)
        helper = self._helper_start()
        try:
            # Pupils: kept only in open schools; they name the guardians and classes to keep.
            self._pass(Kind.PUPIL, "pupils", self._pupil)
        except BaseException:
            if helper:
                self._helper_stop(helper)
            raise
        if helper:
            self._helper_join(helper)
        else:
            # Guardians: kept when a kept pupil links to them (or, in a delta, already known).
            self._pass(Kind.GUARDIAN, "guardians", self._guardian)
            # Staff: kept when one of their schools is open, with only the open schools' links.
            self._pass(Kind.STAFF, "staff", self._staff)
        for key, data in self.classes.items():
            self._stage("classes", key, data, school=data["school"])
        for writer in (self.items, self.gone, self.restated):
            writer.flush()
        stage.index("st_item")
        stage.analyze()

        Diff(self.plan, complet=self.complet, kinds_present=self.kinds_present).run()
        if not self.complet:
            self._count_skipped()
        return self.plan

    def _count_skipped(self) -> None:
        """During a school-by-school rollout the daily Delta modifies and deletes everybody of
        the Académie: those entaix does not keep (no present row: their schools are closed)
        are normal, counted as skipped-closed-school and not reported."""
        rows = stage.fetch(
            "SELECT g.kind, COUNT(DISTINCT g.key) FROM st_gone g WHERE NOT EXISTS (SELECT 1"
            " FROM st_cur c WHERE c.kind = g.kind AND c.key = g.key AND c.is_left = 0)"
            " AND NOT EXISTS (SELECT 1 FROM st_item i WHERE i.kind = g.kind AND i.key = g.key)"
            " GROUP BY g.kind ORDER BY g.kind"
        )
        self.plan.skipped = {kind: n for kind, n in rows if kind in _PERSON_KINDS}

    def _merge(self, kind: str, record, fresh: dict) -> dict | None:
        """A modify carries only some fields: keep the others from the database."""
        if record.op != Op.MODIFY:
            return fresh
        old = self.old.get(record.key)
        if old is None:
            self._unknown_person(record.key)
            return None
        merged = dict(old)
        for name in fresh:
            if name in record.present:
                merged[name] = fresh[name]
        return merged

    def _school(self, record) -> None:
        merged = self._merge("schools", record, state.school_from_record(record))
        if merged is not None:
            self.known_schools.add(record.key)
            self._stage("schools", record.key, merged, school=record.key)

    def _pupil(self, record) -> None:
        kept = self._kept_pupil(record)
        if kept is None and not self.complet and record.key not in self.unknown:
            self.gone.add("pupils", record.key)  # moved out of every open school (if known)

    def _kept_pupil(self, record) -> dict | None:
        open_keys = self.open_keys
        open_schools = [key for key in record.school_keys if key in open_keys]
        old = self.old.get(record.key)
        if record.op == Op.MODIFY and "school_keys" not in record.present:
            open_schools = [old["school"]] if old and old["school"] in open_keys else []
        for key in record.school_keys:
            if key not in self.known_schools:
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
                    self.classes[key] = data
                    classes.append(key)
        fresh = state.pupil_from_record(record, school_key=school_key, classes=classes)
        merged = self._merge("pupils", record, fresh)
        if merged is None:
            return None
        if record.op == Op.MODIFY and "classes" not in record.present:
            merged["classes"] = old["classes"]
        school = merged["school"]
        self._stage("pupils", record.key, merged, school=school, twin=state.twin(merged))
        if record.op != Op.MODIFY or "guardian_links" in record.present:
            links = {
                link.guardian_key: {
                    "pupil": record.key,
                    "guardian": link.guardian_key,
                    "relation": link.relation,
                    "legal": link.legal,
                    "financial": link.financial,
                    "contact": link.contact,
                }
                for link in record.guardian_links
            }
            for guardian, data in links.items():
                key = state.link_key(record.key, guardian)
                self._stage("links", key, data, school=school, pupil=record.key, guardian=guardian)
            self.plan.references += len(links)
            if not self.complet:
                self.restated.add(record.key)  # links the record no longer lists end
        return merged

    def _guardian(self, record) -> None:
        if record.op == Op.MODIFY:
            keep = record.key in self.needed or (not self.complet and record.key in self.old)
            if not keep:
                if not self.complet:
                    # No kept pupil links to them: their children are in closed schools.
                    self.gone.add("guardians", record.key)
                return
        # Adds are staged whoever links to them: the pupils' links decide in the database.
        merged = self._merge("guardians", record, state.guardian_from_record(record))
        if merged is not None:
            self._stage("guardians", record.key, merged)

    def _linked_guardians(self, keys: list[str]) -> set[str]:
        sql = "SELECT DISTINCT guardian FROM st_item WHERE kind = 'links' AND guardian IN ({keys})"
        return {row[0] for row in rows_in(sql, keys)}

    def _staff(self, record) -> None:
        kept = self._kept_staff(record)
        if not kept and not self.complet and record.key not in self.unknown:
            self.gone.add("staff", record.key)

    def _kept_staff(self, record) -> bool:
        open_keys = self.open_keys
        by_school: dict[str, list] = defaultdict(list)
        for function in record.functions:
            by_school[function.school_key].append(
                {"code": function.code, "label": function.label,
                 "post_code": function.post_code, "post_label": function.post_label}
            )  # fmt: skip
        schools = set(record.school_keys) | set(by_school) | set(record.directed_school_keys)
        open_schools = sorted(schools & open_keys)
        old = self.old.get(record.key)
        if record.op == Op.MODIFY and not ({"functions", "school_keys"} & record.present):
            open_schools = sorted({a[0] for a in old["assignments"]} & open_keys) if old else []
        if not open_schools:
            return False
        directed = set(record.directed_school_keys)
        assignments = [[key, key in directed, by_school.get(key, [])] for key in open_schools]
        classes = []
        for key, data in state.class_refs(record.classes, "class"):
            if data["school"] in open_keys:
                self.classes.setdefault(key, data)
                classes.append(key)
        fresh = state.staff_from_record(record, assignments=assignments, classes=classes)
        merged = self._merge("staff", record, fresh)
        if merged is None:
            return False
        if record.op == Op.MODIFY:
            if not ({"functions", "school_keys", "directed_school_keys"} & record.present):
                merged["assignments"] = old["assignments"]
            if "classes" not in record.present:
                merged["classes"] = old["classes"]
        school = state.staff_school(merged)
        self._stage("staff", record.key, merged, school=school, twin=state.twin(merged))
        return True


class _Fork:
    """The helper as a fork of this process (``wait``/``kill`` as a ``Popen``). The child
    reads files and writes its result file, never touches the database connection it shares
    with its parent, and leaves with ``os._exit``: no cleanup of the parent's state runs."""

    def __init__(self, job: dict, folder: Path) -> None:
        self.returncode: int | None = None
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child, measured through its result
            code = 1
            try:
                (folder / "result").write_bytes(pickle.dumps(stage_in_helper(job)))
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)

    def wait(self) -> int:
        if self.returncode is None:
            _pid, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


_HELPER_KINDS = {Kind.GUARDIAN: "guardians", Kind.STAFF: "staff"}
_PERSON_KINDS = ("pupils", "guardians", "staff")


def stage_in_helper(job: dict) -> dict:
    """In the helper process: stage the guardian and staff records to files (no database)."""
    planner = Planner(job["files"])
    planner.complet = job["complet"]
    planner.open_keys = job["open_keys"]
    planner.known_schools = job["known_schools"]
    folder = Path(job["folder"])
    planner.items = stage.FileWriter(folder / "items", _ITEM_COLUMNS)
    planner.gone = stage.FileWriter(folder / "gone", ("kind", "key"))
    kinds = {}
    try:
        for kind, name in _HELPER_KINDS.items():
            before = len(planner.plan.problems)
            modifies = planner._read(kind, name, planner._handler(kind))
            kinds[name] = (planner.plan.problems[before:], modifies)
    except FeedFileError as exc:  # its keyword-only constructor does not unpickle
        return {"error": {"file": exc.file, "code": exc.code, "message": str(exc.message),
                          "line": exc.line}}  # fmt: skip
    finally:
        planner.items.close()
        planner.gone.close()
    return {"kinds": kinds, "record_counts": planner.plan.record_counts,
            "classes": planner.classes}  # fmt: skip


def plan_files(paths: Iterable[Path]) -> Plan:
    """Identify, parse and diff. Raises FileSetError or FeedFileError before any write; the
    plan stays in the staging tables of this connection until stored or `stage.drop()`."""
    files = identify(paths)
    return Planner(files).run()


__all__ = ["FeedFileError", "FileSetError", "Item", "Plan", "plan_files"]
