"""The layering checks (pyproject.toml's import-linter contracts, scripts/app_graph.py) pass on
the code as it is and fail on a copy given one upward import, deferred into a function."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
APPS = ("entaix", "devtools", "schools", "accounts", "imports", "oidc", "scim", "privacy")
UPWARD = "\n\ndef _probe():\n    from accounts.models import User\n\n    return User\n"


@pytest.fixture
def copy(tmp_path) -> Path:
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _run(argv, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_the_code_keeps_its_layers(copy):
    lint = _run([LINT_IMPORTS, "--no-cache", "--no-logo"], copy)
    graph = _run([sys.executable, "scripts/app_graph.py"], copy)
    assert lint.returncode == 0, lint.stdout
    assert "Contracts: 7 kept, 0 broken." in lint.stdout
    assert graph.returncode == 0, graph.stderr
    assert "Upward edges: 0; imports of another app's views: 0" in graph.stdout


def test_a_deferred_upward_import_breaks_both_checks(copy):
    with (copy / "schools" / "services.py").open("a") as handle:
        handle.write(UPWARD)
    lint = _run([LINT_IMPORTS, "--no-cache", "--no-logo"], copy)
    graph = _run([sys.executable, "scripts/app_graph.py"], copy)
    assert lint.returncode == 1
    assert "schools is not allowed to import accounts:" in lint.stdout
    assert "- schools.services -> accounts.models (l." in lint.stdout
    assert graph.returncode == 1
    assert "Upward edges: 1; imports of another app's views: 0" in graph.stdout
    assert graph.stderr == "upward: schools.services -> accounts.models.User\n"


def test_a_page_using_another_apps_views_breaks_both_checks(copy):
    with (copy / "schools" / "views.py").open("a") as handle:
        handle.write("\nfrom imports.views import ImportRunListView  # noqa: E402, F401\n")
    lint = _run([LINT_IMPORTS, "--no-cache", "--no-logo"], copy)
    graph = _run([sys.executable, "scripts/app_graph.py"], copy)
    assert lint.returncode == 1
    assert "schools uses no other app's views BROKEN" in lint.stdout
    assert graph.returncode == 1
    assert graph.stderr == "another app's views: schools.views -> imports.views.ImportRunListView\n"
