"""What an operator reads from a management command is translated, French first.

Django (since 2.1) leaves the language alone in commands: none is activated, so gettext answers
in settings.LANGUAGE_CODE, French. The first tests run commands as an operator does (a
`manage.py` process under the production settings) and in-process in both languages; the last
ones read every command module and refuse a message that gettext cannot translate.
"""

import ast
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from entaix.tests.project.test_i18n import entries
from entaix.tests.settings.test_production import run

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = sorted(p for p in ROOT.glob("*/management/commands/*.py") if p.name != "__init__.py")
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext"}
OUTPUT = {"write", "input"}  # self.stdout.write / self.stderr.write, and input()'s prompt


def test_an_operator_reads_french_errors_from_manage_py(db):
    """No language activated, as on the server: the French of settings.LANGUAGE_CODE."""
    # The production settings reach the database as they start: the test database.
    database = connection.settings_dict
    url = {
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            database["USER"],
            database["HOST"] or "127.0.0.1",
            database["PORT"] or 5432,
            database["NAME"],
        )
    }
    refused = run(["aaf_import"], url)
    assert refused.returncode == 1
    assert refused.stderr == (
        "CommandError: Donnez PATH…, --approve RUN_ID, --resume RUN_ID ou --discard RUN_ID "
        "(un seul des quatre).\n"
    )
    bad_date = run(["retention_purge", "--today", "31/12/2025"], url)
    assert bad_date.returncode == 1
    assert bad_date.stderr == "CommandError: --today attend YYYY-MM-DD, pas '31/12/2025'.\n"


@pytest.mark.parametrize(
    ("language", "args", "message"),
    [
        ("fr", ["sftp_keygen"], "Donnez --out ou définissez SFTP_KEY_PATH."),
        ("en", ["sftp_keygen"], "Give --out or set SFTP_KEY_PATH."),
        ("fr", ["scim_client", "renew"], "--name est obligatoire."),
        ("en", ["scim_client", "renew"], "--name is required."),
        (
            "fr",
            ["letters_print", "--all-open-schools", "--class", "CP", "--profile", "pupil",
             "--out", "/nonexistent"],
            "--class va avec --school, pas avec --all-open-schools.",
        ),
        ("fr", ["aaf_import", "--discard", "1", "--school", "0130001A"],
         "--school va avec --approve RUN_ID."),
    ],
)  # fmt: skip
def test_command_errors_in_the_active_language(settings, language, args, message):
    settings.SFTP_KEY_PATH = ""
    with translation.override(language), pytest.raises(CommandError) as error:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(error.value) == message


def _literal_text(node: ast.expr) -> str | None:
    """The words of a string literal or an f-string (placeholders left out), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "..." % values
        return _literal_text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):  # "...".format()
        return _literal_text(node.func.value) if node.func.attr == "format" else None
    return None


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def untranslated(source: str, where: str) -> list[str]:
    """Messages a person reads that gettext cannot translate: a CommandError, a line written
    to stdout/stderr or an input() prompt given as a literal or an f-string with words in it,
    and a gettext call on anything but one plain literal (an f-string is formatted before
    gettext looks it up, so it is never found)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name, first = _name(node.func), node.args[0]
        if name in GETTEXT:
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                found.append(f"{where}:{node.lineno}: {name}() of a non-literal")
            continue
        if name == "CommandError" or name in OUTPUT:
            if isinstance(first, ast.Call) and _name(first.func) in {"SUCCESS", "WARNING", "ERROR"}:
                first = first.args[0] if first.args else first  # self.style.SUCCESS(...)
            text = _literal_text(first)
            if text is not None and any(c.isalpha() for c in text):
                found.append(f"{where}:{node.lineno}: {name}({text.strip()[:40]!r})")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_every_command_message_goes_through_gettext():
    assert len(COMMANDS) >= 14
    found = [m for path in COMMANDS for m in untranslated(path.read_text(), path.name)]
    assert found == []


def test_the_check_finds_each_untranslated_shape():
    source = """
raise CommandError("No such run.")
raise CommandError(f"Run {pk} failed.")
raise CommandError("Run %s failed." % pk)
self.stdout.write(f"{count} letters")
self.stdout.write(self.style.SUCCESS("Done."))
self.stderr.write("Key written:")
typed = input(f"Type {WORD}: ")
raise CommandError(_(f"Run {pk} failed."))
raise CommandError(_("Run %(run)s failed.") % {"run": pk})
raise CommandError(exc.message)
self.stdout.write(f"{client.pk}\\t{client.name}")
self.stdout.write(_("Opened: %(uais)s") % {"uais": uais})
"""
    assert untranslated(source, "x.py") == [
        "x.py:2: CommandError('No such run.')",
        "x.py:3: CommandError('Run  failed.')",
        "x.py:4: CommandError('Run %s failed.')",
        "x.py:5: write('letters')",
        "x.py:6: write('Done.')",
        "x.py:7: write('Key written:')",
        "x.py:8: input('Type :')",
        "x.py:9: _() of a non-literal",
    ]


def test_every_command_message_has_its_french():
    french = {
        msgid for msgid, msgstr, fuzzy in entries(ROOT / "locale/fr/LC_MESSAGES/django.po")
        if msgstr and not fuzzy
    }  # fmt: skip
    used = set()
    for path in COMMANDS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node.func) in GETTEXT and node.args:
                literal = node.args[-1] if _name(node.func).startswith("p") else node.args[0]
                if isinstance(literal, ast.Constant):
                    used.add(literal.value)
    assert len(used) > 60
    assert sorted(used - french) == []
