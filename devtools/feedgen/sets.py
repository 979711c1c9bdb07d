"""Complet and Delta sets, and the state sidecar a later Delta is drawn from."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from .build import build_world
from .changes import Changes, Step, apply_step
from .world import GenOptions, World
from .writer import GeneratedFeed, write_set

GENERATOR_VERSION = 1
STATE_FILE = ".feedgen-state.json"


def _save_state(out_dir: Path, options: GenOptions, steps: Sequence[Step], kind: str) -> None:
    state = {
        # The label of version 1, from before the move to devtools: same bytes for the same seed.
        "generator": "entaix.imports.feedgen",
        "version": GENERATOR_VERSION,
        "kind": kind,
        "options": {**asdict(options), "date": options.date.isoformat()},
        "steps": [asdict(step) for step in steps],
    }
    (out_dir / STATE_FILE).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def _load_state(previous_dir: Path) -> tuple[GenOptions, list[Step]]:
    path = previous_dir / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: was {previous_dir} written by feedgen?")
    state = json.loads(path.read_text())
    if state.get("version") != GENERATOR_VERSION:
        raise ValueError(f"{path} was written by feedgen version {state.get('version')}")
    raw = dict(state["options"])
    raw["date"] = datetime.date.fromisoformat(raw["date"])
    return GenOptions(**raw), [Step(**step) for step in state["steps"]]


def generate_complet(out_dir: Path, options: GenOptions) -> GeneratedFeed:
    """Write a Complet set (four kinds, split into parts) for ``options`` into ``out_dir``."""
    world = build_world(options)
    feed = write_set(
        world, out_dir, date=options.date, max_records=options.max_records_per_file, changes=None,
        aliases=options.ldap_aliases,
    )  # fmt: skip
    _save_state(out_dir, options, [], "Complet")
    return feed


def drop_part(feed: GeneratedFeed, part: str) -> GeneratedFeed:
    """Delete one written part (``Eleve_0000``): a set with a missing part, as some deliveries
    arrive, for tests, demos and benchmarks of the importer's refusal."""
    chosen = [path for path in feed.files if path.stem.endswith(f"_{part}")]
    if not chosen:
        names = ", ".join(path.stem.split("_", 3)[3] for path in feed.files)
        raise ValueError(f"no part {part} in the set (parts: {names})")
    for path in chosen:
        path.unlink()
    return GeneratedFeed(
        files=tuple(path for path in feed.files if path not in chosen),
        counts=feed.counts,
        school_uais=feed.school_uais,
        closed_school_uais=feed.closed_school_uais,
    )


def _advance(
    previous_dir: Path, change_rate: float, seed: int, date: datetime.date, complet: bool
) -> tuple[GenOptions, World, list[Step], Changes]:
    if not 0 <= change_rate <= 1:
        raise ValueError("change_rate must be between 0 and 1")
    options, steps = _load_state(previous_dir)
    world = build_world(options)
    for step in steps:
        apply_step(world, step)
    step = Step(seed=seed, change_rate=change_rate, date=date.isoformat(), complet=complet)
    return options, world, [*steps, step], apply_step(world, step)


def generate_delta(
    previous_dir: Path,
    out_dir: Path,
    *,
    change_rate: float,
    seed: int,
    date: datetime.date,
    max_records_per_file: int | None = None,
) -> GeneratedFeed:
    """Write the Delta set that follows the set in ``previous_dir`` (a Complet or a Delta written
    by this module): new pupils and families, modified persons, deleted persons."""
    options, world, steps, changes = _advance(previous_dir, change_rate, seed, date, False)
    max_records = max_records_per_file or options.max_records_per_file
    feed = write_set(world, out_dir, date=date, max_records=max_records, changes=changes,
                      aliases=options.ldap_aliases)  # fmt: skip
    _save_state(out_dir, options, steps, "Delta")
    return feed


def generate_next_complet(
    previous_dir: Path,
    out_dir: Path,
    *,
    change_rate: float,
    seed: int,
    date: datetime.date,
    max_records_per_file: int | None = None,
) -> GeneratedFeed:
    """Write the Complet set of the world after the same changes ``generate_delta`` would draw
    with these arguments: people deleted there are absent here, people added are present."""
    options, world, steps, _changes = _advance(previous_dir, change_rate, seed, date, True)
    max_records = max_records_per_file or options.max_records_per_file
    feed = write_set(world, out_dir, date=date, max_records=max_records, changes=None,
                      aliases=options.ldap_aliases)  # fmt: skip
    _save_state(out_dir, options, steps, "Complet")
    return feed


def generate_next_year(
    previous_dir: Path,
    out_dir: Path,
    *,
    seed: int,
    date: datetime.date,
    max_records_per_file: int | None = None,
) -> GeneratedFeed:
    """Write the next school year's Complet after the set in ``previous_dir``: promotions, CM2
    leavers, new CP and PS, renamed classes and one split, a teacher moving school
    (nextyear.py). A later Delta or Complet follows it like any other set."""
    options, steps = _load_state(previous_dir)
    world = build_world(options)
    for step in steps:
        apply_step(world, step)
    step = Step(seed=seed, change_rate=0, date=date.isoformat(), complet=True, next_year=True)
    apply_step(world, step)
    max_records = max_records_per_file or options.max_records_per_file
    feed = write_set(world, out_dir, date=date, max_records=max_records, changes=None,
                     aliases=options.ldap_aliases)  # fmt: skip
    _save_state(out_dir, options, [*steps, step], "Complet")
    return feed
