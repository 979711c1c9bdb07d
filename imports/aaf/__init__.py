"""Pure parser of the AAF 1D feed (no Django): ``from imports.aaf import FeedReader``.

- ``records``: kinds, file names, problems, file errors and the record dataclasses;
- ``stream``: the byte stream lxml reads (prolog checks, HTML entities, delta repair);
- ``mapping``: which attribute fills which field (table in its docstring);
- ``values``: value converters (dates, booleans, classes, functions, guardian links);
- ``reader``: ``FeedReader`` and ``read_feed``.
"""

from .reader import FeedReader, read_feed
from .records import (
    ERROR,
    WARNING,
    ClassRef,
    FeedFile,
    FeedFileError,
    GuardianLink,
    GuardianRecord,
    Kind,
    Mode,
    Op,
    Problem,
    PupilRecord,
    Record,
    SchoolRecord,
    StaffFunction,
    StaffRecord,
    build,
    feed_file_from_name,
)

__all__ = [
    "ERROR",
    "WARNING",
    "ClassRef",
    "FeedFile",
    "FeedFileError",
    "FeedReader",
    "GuardianLink",
    "GuardianRecord",
    "Kind",
    "Mode",
    "Op",
    "Problem",
    "PupilRecord",
    "Record",
    "SchoolRecord",
    "StaffFunction",
    "StaffRecord",
    "build",
    "feed_file_from_name",
    "read_feed",
]
