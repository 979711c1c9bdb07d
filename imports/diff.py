"""The diff, in the database: the feed staged by the planner (`st_item`, `st_gone`,
`st_restated`) against the directory (`st_cur`), written as the plan's items in `st_plan`.

Most rows never reach Python: creates and leaves are INSERT … SELECT, and "unchanged" is an
equal digest. Only updates and returns are read back, a page at a time, to keep the fields that
changed. Each rule is one statement that the database can run as a plain (anti-)join.
"""

# SQL is built here from constant table and column names and model metadata (quoted); values
# always go as parameters.
# ruff: noqa: S608

from collections.abc import Iterable
from typing import TYPE_CHECKING

import orjson
from django.db import connection

from entaix.common.db import PAGE, keyset_rows, rows_in
from imports import stage, state
from imports.aaf import WARNING, Kind, Problem
from schools.kinds import RecordKind
from schools.models import Pupil, Staff

if TYPE_CHECKING:
    from imports.plan import Plan

CHANGE_PAGE = 2000  # updates and returns compared per query of the directory
_PLAN_COLUMNS = ("kind", "action", "key", "school_key", "digest", "data")
# The files a kind's leaves need, in a Complet: without them, nothing of the kind leaves.
_NEEDS = {
    RecordKind.SCHOOL: {Kind.SCHOOL},
    RecordKind.CLASS: {Kind.PUPIL, Kind.STAFF},
    RecordKind.PUPIL: {Kind.PUPIL},
    RecordKind.GUARDIAN: {Kind.GUARDIAN, Kind.PUPIL},
    RecordKind.STAFF: {Kind.STAFF},
    RecordKind.LINK: {Kind.PUPIL},
}


def _changed(old: dict, new: dict) -> dict:
    return {name: value for name, value in new.items() if old.get(name) != value}


class Diff:
    def __init__(self, plan: "Plan", *, complet: bool, kinds_present: set) -> None:
        self.plan = plan
        self.complet = complet
        self.kinds_present = kinds_present

    def run(self) -> None:
        self._drop_dangling_links()
        self._keep_linked_guardians()
        self._diff()
        self._possible_duplicates()
        self._count()

    def _problem(self, level, code, identifier, message) -> None:
        self.plan.problems.append(Problem(level, code, "", None, identifier, message))

    def _kind_is_complete(self, kind: str) -> bool:
        """Leaves are computed from a Complet only for the kinds whose file came."""
        return _NEEDS[kind] <= self.kinds_present

    def _drop_dangling_links(self) -> None:
        """A link to a guardian neither the feed nor the directory knows is dropped."""
        where = (
            "kind = 'link' AND NOT EXISTS (SELECT 1 FROM st_item g WHERE g.kind = 'guardian'"
            " AND g.key = st_item.guardian) AND NOT EXISTS (SELECT 1 FROM st_cur c"
            " WHERE c.kind = 'guardian' AND c.key = st_item.guardian)"
        )
        rows = stage.fetch(f"SELECT pupil, guardian FROM st_item WHERE {where} ORDER BY key")
        for pupil, guardian in rows:
            self.plan.dangling += 1
            self._problem(
                WARNING,
                "dangling-guardian",
                pupil,
                f"Pupil linked to unknown guardian key {guardian}.",
            )
        if rows:
            stage.execute(f"DELETE FROM st_item WHERE {where}")

    def _keep_linked_guardians(self) -> None:
        """Data minimisation: a guardian is kept when a kept pupil links to them; in a delta,
        also when already known (their pupils' records need not come again)."""
        stage.execute(
            "DELETE FROM st_item WHERE kind = 'guardian' AND NOT EXISTS (SELECT 1 FROM st_item l"
            " WHERE l.kind = 'link' AND l.guardian = st_item.key) AND NOT (%s AND EXISTS"
            " (SELECT 1 FROM st_cur c WHERE c.kind = 'guardian' AND c.key = st_item.key))",
            [not self.complet],
        )

    def _plan_schools(self) -> None:
        """A leaving link counts in its pupil's school (the feed's, when it keeps the pupil), a
        guardian in the first school of their pupils. Only plan rows need one."""
        pupil_school = (
            "SELECT i.school FROM st_cur c JOIN st_item i ON i.kind = 'pupil' AND i.key = c.pupil"
            " WHERE c.kind = 'link' AND c.key = st_plan.key"
        )
        stage.execute(
            f"UPDATE st_plan SET school_key = ({pupil_school}) WHERE kind = 'link'"
            f" AND action = 'leave' AND EXISTS ({pupil_school})"
        )
        stage.execute(
            "UPDATE st_plan SET school_key = x.school FROM (SELECT u.guardian, MIN(u.school) AS"
            " school FROM (SELECT l.guardian, l.school FROM st_item l WHERE l.kind = 'link'"
            " UNION ALL SELECT c.guardian, COALESCE(i.school, c.school) FROM st_cur c"
            " LEFT JOIN st_item i ON i.kind = 'pupil' AND i.key = c.pupil"
            " WHERE c.kind = 'link' AND c.is_left = 0) u WHERE u.guardian IN"
            " (SELECT p.key FROM st_plan p WHERE p.kind = 'guardian') GROUP BY u.guardian) x"
            " WHERE st_plan.kind = 'guardian' AND x.guardian = st_plan.key"
        )

    def _diff(self) -> None:
        for kind in state.KINDS:
            stage.execute(
                "INSERT INTO st_plan (kind, action, key, school_key, digest, data)"
                " SELECT i.kind, 'create', i.key, i.school, i.digest, i.data FROM st_item i"
                " WHERE i.kind = %s AND NOT EXISTS (SELECT 1 FROM st_cur c"
                " WHERE c.kind = i.kind AND c.key = i.key) ORDER BY i.key",
                [kind],
            )
            self._changes(kind)
            self._leaves(kind)
        self._plan_schools()
        # A guardian left with no present link to a kept pupil goes too (data minimisation).
        stage.execute(
            "INSERT INTO st_plan (kind, action, key, school_key, digest, data)"
            " SELECT 'guardian', 'leave', c.key, '', NULL, '{}' FROM st_cur c"
            " WHERE c.kind = 'guardian' AND c.is_left = 0"
            " AND NOT EXISTS (SELECT 1 FROM st_item i WHERE i.kind = 'guardian' AND i.key = c.key)"
            " AND NOT EXISTS (SELECT 1 FROM st_plan p WHERE p.kind = 'guardian'"
            " AND p.key = c.key AND p.action = 'leave')"
            " AND NOT EXISTS (SELECT 1 FROM st_item l WHERE l.kind = 'link'"
            " AND l.guardian = c.key)"
            " AND NOT EXISTS (SELECT 1 FROM st_cur l WHERE l.kind = 'link' AND l.guardian = c.key"
            " AND l.is_left = 0 AND NOT EXISTS (SELECT 1 FROM st_plan p WHERE p.kind = 'link'"
            " AND p.key = l.key AND p.action = 'leave')) ORDER BY c.key"
        )

    def _changes(self, kind: str) -> None:
        """Updates (only the changed fields) and returns. Rows whose digest differs are read
        back a page at a time; a row of unknown digest is compared field by field."""
        sql = (
            "SELECT i.key, i.data, i.digest, i.school, c.is_left, c.digest FROM st_item i"
            " JOIN st_cur c ON c.kind = i.kind AND c.key = i.key WHERE i.kind = %s"
            " AND (c.is_left = 1 OR c.digest IS NULL OR c.digest <> i.digest)"
            f" AND i.key > %s ORDER BY i.key LIMIT {CHANGE_PAGE}"
        )
        writer = stage.Writer("st_plan", _PLAN_COLUMNS)
        page = []
        for row in keyset_rows(sql, [kind], after=""):
            page.append(row)
            if len(page) >= CHANGE_PAGE:
                self._write_changes(kind, page, writer)
                page = []
        self._write_changes(kind, page, writer)
        writer.flush()

    def _write_changes(self, kind: str, page: list[tuple], writer: stage.Writer) -> None:
        if not page:
            return
        old_rows = state.rows(kind, [row[0] for row in page])
        for key, text, digest, school, is_left, old_digest in page:
            old = old_rows[key]
            if not is_left and old_digest is None and state.dump(old) == text:
                continue  # unchanged, though its digest was unknown
            delta = _changed(old, orjson.loads(text))
            action = "return" if is_left else "update"
            writer.add(kind, action, key, school, digest, state.dump(delta))

    def _leaves(self, kind: str) -> None:
        """Present rows the feed drops: every one it omits when a Complet brings the kind's
        files, else those it deletes. A delta restating a pupil's links ends the ones it no
        longer lists; a leaving pupil's links end with them. One statement per rule: each is
        then a plain (anti-)join, where ORs of subqueries were tested row by row."""
        insert = (
            "INSERT INTO st_plan (kind, action, key, school_key, digest, data)"
            " SELECT c.kind, 'leave', c.key, c.school, NULL, '{}' FROM st_cur c"
            " WHERE c.kind = %s AND c.is_left = 0 AND "
        )
        omitted = "NOT EXISTS (SELECT 1 FROM st_item i WHERE i.kind = c.kind AND i.key = c.key)"
        if self.complet and self._kind_is_complete(kind):
            stage.execute(insert + omitted + " ORDER BY c.key", [kind])
        else:
            stage.execute(
                insert + omitted + " AND c.key IN (SELECT g.key FROM st_gone g WHERE g.kind = %s)"
                " ORDER BY c.key",
                [kind, kind],
            )
        if kind != RecordKind.LINK:
            return
        not_yet = (
            " AND NOT EXISTS (SELECT 1 FROM st_plan p WHERE p.kind = c.kind AND p.key = c.key"
            " AND p.action = 'leave')"
        )
        stage.execute(
            insert + omitted + not_yet + " AND c.pupil IN (SELECT r.key FROM st_restated r)"
            " ORDER BY c.key",
            [kind],
        )
        stage.execute(
            insert + "c.pupil IN (SELECT g.key FROM st_gone g WHERE g.kind = 'pupil' UNION"
            " SELECT p.key FROM st_plan p WHERE p.kind = 'pupil' AND p.action = 'leave')"
            + not_yet
            + " ORDER BY c.key",
            [kind],
        )

    def _possible_duplicates(self) -> None:
        """A new key with the name and birth date of someone who left: flag, never merge."""
        for kind, model in ((RecordKind.PUPIL, Pupil), (RecordKind.STAFF, Staff)):
            if not stage.fetch(
                "SELECT 1 FROM st_plan WHERE kind = %s AND action = 'create' LIMIT 1", [kind]
            ):
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            # Staff birth dates are not kept (minimisation): their twins compare names only.
            birth = "t.birth_date" if kind == RecordKind.PUPIL else "NULL"
            # A newcomer of the feed is never a twin of someone the city entered.
            feed = "" if kind == RecordKind.PUPIL else f"t.source = '{Staff.Source.AAF}' AND "
            sql = (
                f"SELECT t.id, t.join_key, t.last_name, t.first_name, {birth}"
                f" FROM {table} t WHERE {feed}(t.left_at IS NOT NULL OR EXISTS (SELECT 1"
                f" FROM st_plan p"
                f" WHERE p.kind = %s AND p.action = 'leave' AND p.key = t.join_key))"
                f" AND t.id > %s ORDER BY t.id LIMIT {PAGE}"
            )
            twins = stage.Writer("st_twin", ("kind", "twin", "key"))
            for _id, key, last_name, first_name, birth_date in keyset_rows(sql, [kind], after=0):
                data = {"last_name": last_name, "first_name": first_name, "birth_date": birth_date}
                twins.add(kind, state.twin(data), key)
            twins.flush()
            if not twins.count:
                continue
            rows = stage.fetch(
                "SELECT p.key, MIN(t.key) FROM st_plan p JOIN st_item i ON i.kind = p.kind"
                " AND i.key = p.key JOIN st_twin t ON t.kind = i.kind AND t.twin = i.twin"
                " WHERE p.kind = %s AND p.action = 'create' GROUP BY p.key ORDER BY p.key",
                [kind],
            )
            for key, twin in rows:
                self._problem(
                    WARNING,
                    "possible-duplicate",
                    key,
                    f"Same name and birth date as {twin}, who left: review.",
                )

    def _count(self) -> None:
        count_plan(self.plan)
        plan = self.plan
        staged = dict(stage.fetch("SELECT kind, COUNT(*) FROM st_item GROUP BY kind"))
        for kind, counts in plan.counts.items():
            changed = counts["created"] + counts["updated"] + counts["returned"]
            counts["unchanged"] = staged.get(kind, 0) - changed
        plan.school_counts = {}
        for school, kind, action, n in stage.fetch(
            "SELECT school_key, kind, action, COUNT(*) FROM st_plan WHERE school_key <> ''"
            " GROUP BY school_key, kind, action ORDER BY school_key, kind, action"
        ):
            plan.school_counts.setdefault(school, {}).setdefault(kind, {})[_COUNT_NAME[action]] = n
        plan.active_before = dict.fromkeys(state.KINDS, 0) | dict(
            stage.fetch("SELECT kind, COUNT(*) FROM st_cur WHERE is_left = 0 GROUP BY kind")
        )
        persons = "kind IN ('pupil', 'staff')"
        plan.active_by_school = _by_school(
            f"SELECT school, COUNT(*) FROM st_cur WHERE is_left = 0 AND {persons} GROUP BY school"
        )
        plan.pupils_by_school = _by_school(
            "SELECT school, COUNT(*) FROM st_cur WHERE is_left = 0 AND kind = 'pupil'"
            " GROUP BY school"
        )
        plan.leaving_by_school = _by_school(
            f"SELECT school_key, COUNT(*) FROM st_plan WHERE action = 'leave' AND {persons}"
            " GROUP BY school_key"
        )
        plan.pupils_leaving_by_school = _by_school(
            "SELECT school_key, COUNT(*) FROM st_plan WHERE action = 'leave'"
            " AND kind = 'pupil' GROUP BY school_key"
        )


def _by_school(sql: str) -> dict[str, int]:
    return dict(stage.fetch(sql))


_COUNT_NAME = {"create": "created", "update": "updated", "leave": "left", "return": "returned"}
_COUNT_NAMES = ("created", "updated", "left", "returned", "unchanged")


def count_plan(plan: "Plan") -> None:
    """Counts per kind and action from the staged plan (nothing is unchanged until the
    planner says so)."""
    counts = {kind: dict.fromkeys(_COUNT_NAMES, 0) for kind in state.KINDS}
    for kind, action, n in stage.fetch(
        "SELECT kind, action, COUNT(*) FROM st_plan GROUP BY kind, action"
    ):
        counts[kind][_COUNT_NAME[action]] = n
    plan.counts = counts


def restrict_to_schools(plan: "Plan", school_keys: Iterable[str]) -> None:
    """Opening schools adds their people; it never rewrites anyone else from older files."""
    keys = sorted(set(school_keys))
    marks = ", ".join(["%s"] * len(keys))
    stage.execute(
        f"DELETE FROM st_plan WHERE action NOT IN ('create', 'return')"
        f" OR school_key NOT IN ({marks})",
        keys,
    )
    count_plan(plan)


def item_schools(keys: Iterable[str]) -> dict[str, str]:
    """The school of each staged plan item among these keys."""
    sql = (
        "SELECT key, MIN(school_key) FROM st_plan WHERE school_key <> '' AND key IN ({keys})"
        " GROUP BY key"
    )
    return dict(rows_in(sql, sorted(set(keys))))
