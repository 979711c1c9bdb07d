from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def entries(po: Path):
    """(msgid, msgstr, fuzzy) of each catalogue entry, multi-line strings joined."""
    import ast

    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = block.splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        current, parts = None, {"msgid": [], "msgstr": []}
        for line in lines:
            if line.startswith(("msgid ", "msgstr ", "msgstr[")):
                current, _, rest = line.partition(" ")
                current = "msgstr" if current.startswith("msgstr") else current
                parts[current].append(ast.literal_eval(rest))
            elif line.startswith('"') and current:
                parts[current].append(ast.literal_eval(line))
        if parts["msgid"]:
            yield "".join(parts["msgid"]), "".join(parts["msgstr"]), fuzzy


def test_french_catalogue_translates_every_string():
    catalogue = list(entries(ROOT / "locale/fr/LC_MESSAGES/django.po"))
    assert len(catalogue) > 100
    untranslated = [msgid for msgid, msgstr, fuzzy in catalogue if msgid and (not msgstr or fuzzy)]
    assert untranslated == []
