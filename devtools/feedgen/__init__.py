"""Synthetic AAF 1D feeds for Aix-en-Provence primary schools (pure Python, no Django).

Writes Complet and Delta file sets in the Ministry's ``ficAlimMENESR`` format (see
``docs/AAF1D.md``) for tests, demos and benchmarks. Output is deterministic: the same options give
byte-identical files. Records are streamed to disk as they are produced, so an académie-scale feed
(400 schools, 100k pupils) needs little memory beyond the in-memory model of the people.

A Delta does not parse the previous XML: the previous directory holds ``.feedgen-state.json``, the
recipe of that set (options plus the steps applied since), which is replayed to rebuild the same
world before the new changes are drawn. The sidecar stays a few hundred bytes at any size.

Modules: ``names`` (reference data), ``world`` (options, records, shared draws), ``people`` and
``build`` (the Complet world), ``changes`` (a Delta's step), ``nextyear`` (the September
changeover's step), ``writer`` (XML), ``sets`` (the API
below and the sidecar). From the command line: ``manage.py aaf_generate`` (dev and test settings).
"""

from .sets import (
    drop_part,
    generate_complet,
    generate_delta,
    generate_next_complet,
    generate_next_year,
)
from .world import GenOptions
from .writer import GeneratedFeed

__all__ = [
    "GenOptions",
    "GeneratedFeed",
    "drop_part",
    "generate_complet",
    "generate_delta",
    "generate_next_complet",
    "generate_next_year",
]
