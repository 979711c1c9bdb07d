"""Every CSV the portal produces goes through here: cells a spreadsheet would run as a formula
are neutralised.

A value from the feed (an identifier, a name, a message) that starts with `=`, `+`, `-`, `@`, a
tab or a carriage return is a formula to Excel or LibreOffice (`=HYPERLINK(…)`, DDE): such a
cell is prefixed with a single quote, which spreadsheets show as text (OWASP "CSV injection").
"""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: numbers stay numbers, text never starts a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, stream, **kwargs) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **kwargs) -> SafeCsvWriter:
    return SafeCsvWriter(stream, **kwargs)
