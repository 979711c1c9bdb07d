"""What an import problem keeps once its run is applied or discarded (convention, annex 1:
only the latest values are kept).

A record's problem names a record (its join key, kept) and often carries values of the feed:
another person's key, a class value, a relation code. Once the run is decided these go: the
message becomes the fixed sentence of its code, without any value. Run- and file-level problems
(no record key: counts, attribute names, parse errors) carry no value about a person and keep
their message. The sentences are stored in English, like every problem message, and shown
translated (`ImportProblem.display_message`).
"""

from django.utils.translation import gettext_noop

SUMMARIES = {
    "bad-boolean": gettext_noop("A yes/no value of this record is not valid: it was dropped."),
    "bad-class-value": gettext_noop("A class or group value of this record is not valid."),
    "bad-date": gettext_noop("A date of this record is not valid: it was dropped."),
    "bad-function-value": gettext_noop("A function value of this record is not valid."),
    "bad-guardian-link": gettext_noop("A guardian link of this record is not valid."),
    "bad-name": gettext_noop("A name of this record is not valid."),
    "bad-operation": gettext_noop("A modification of this record was skipped."),
    "dangling-guardian": gettext_noop("Pupil linked to a guardian the feed does not give."),
    "dangling-school": gettext_noop("Pupil attached to a school the feed does not give."),
    "duplicate-key": gettext_noop("Join key already seen: the record was dropped."),
    "key-mismatch": gettext_noop("The record's identifier differs from its join attribute."),
    "missing-name": gettext_noop("The record has no usable name: it was dropped."),
    "possible-duplicate": gettext_noop("Same name and birth date as a person who left: review."),
    "unknown-person": gettext_noop("A delta modifies a person entaix lacks: dropped."),
    "unknown-relation": gettext_noop("A relation code is unknown: read as 'other'."),
    "wrong-category": gettext_noop("The record's category does not match its file."),
}

# A record's problem of a code not listed above.
OTHER = gettext_noop("Details removed once the run was decided (only the latest values are kept).")

TEXTS = frozenset((*SUMMARIES.values(), OTHER))


def problem_summary(code: str) -> str:
    return SUMMARIES.get(code, OTHER)
