"""The operator's commands: the key folder, every option explained."""

from io import StringIO

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

OUR_APPS = {"schools", "accounts", "imports", "devtools"}


def test_sftp_keygen_makes_a_missing_folder_private(tmp_path):
    out = StringIO()
    target = tmp_path / "secrets" / "entaix" / "aaf_rsa"
    call_command("sftp_keygen", "--out", str(target), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("ssh-rsa ")
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.parent.stat().st_mode & 0o777 == 0o700


def test_sftp_keygen_explains_a_folder_it_cannot_make(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CommandError) as caught:
        call_command("sftp_keygen", "--out", str(tmp_path / "a-file" / "aaf_rsa"),
                     stdout=StringIO(), stderr=StringIO())  # fmt: skip
    assert str(caught.value) == (
        f"Impossible de créer le dossier {tmp_path / 'a-file'} : ce n'est pas un dossier."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def our_commands():
    return sorted(name for name, app in get_commands().items() if app in OUR_APPS)


def test_every_option_of_our_commands_is_explained():
    undocumented = []
    for name in our_commands():
        command = load_command_class(get_commands()[name], name)
        parser = command.create_parser("manage.py", name)
        assert command.help, name
        for action in parser._actions:
            if action.help in (None, "") and action.dest != "help":
                if any(s.startswith("--") for s in action.option_strings) and action.dest in {
                    "verbosity", "settings", "pythonpath", "traceback", "no_color",
                    "force_color", "skip_checks",
                }:  # fmt: skip
                    continue
                undocumented.append(f"{name} {action.dest}")
    assert undocumented == []


def test_dates_say_their_format():
    for name in ("school_open", "aaf_generate", "retention_purge"):
        command = load_command_class(get_commands()[name], name)
        parser = command.create_parser("manage.py", name)
        dates = [a for a in parser._actions if a.dest in {"date", "today"}]
        assert dates, name
        for action in dates:
            assert "YYYY-MM-DD" in (action.help or "") + str(action.metavar), name
