"""Text folding, written once: logins, name matching, search and the feed generator build on it."""

import unicodedata

# Letters that are not a base letter plus accents, so that NFKD leaves them whole; spelled as
# PostgreSQL's unaccent spells them, so that the search folds the same on both sides.
_WHOLE_LETTERS = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",  # dotless i
    }
)


def fold(text: str) -> str:
    """Lower case, accents and ligatures folded: "Léa Œuvray-MÜLLER" → "lea oeuvray-muller".

    Everything else (spaces, apostrophes, dashes, digits) is kept: each use decides what its
    separators become.
    """
    decomposed = unicodedata.normalize("NFKD", (text or "").lower()).translate(_WHOLE_LETTERS)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
