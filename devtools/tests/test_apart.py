"""The developer tools stay apart: production installs and imports none of them."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_PACKAGES = ("entaix", "schools", "accounts", "imports", "privacy")
ALLOWED = {"entaix/settings/dev.py", "entaix/settings/test.py"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_production_module_imports_devtools():
    importers = []
    for package in PRODUCTION_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/tests/" in f"/{relative}" or relative in ALLOWED:
                continue
            if any(name.split(".")[0] == "devtools" for name in imported_modules(path)):
                importers.append(relative)
    assert importers == []


def test_production_settings_do_not_install_devtools():
    code = (
        "import django; django.setup(); from django.apps import apps; "
        "print(sorted(c.name for c in apps.get_app_configs() if c.name in "
        "{'schools', 'accounts', 'imports', 'privacy', 'devtools'}))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "entaix.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "ent.example.fr",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "ACTIVATION_CODE_KEYS": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "['accounts', 'imports', 'privacy', 'schools']\n"
    assert (ROOT / ".dockerignore").read_text().split().count("devtools") == 1
