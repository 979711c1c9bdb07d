import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
READ = re.compile(
    r"""(?:env\.(?:str|bool|int|float|list|path)|required|integer|boolean|clock|hosts|database|mailers)"""
    r"""\(\s*"([A-Z][A-Z0-9_]+)\""""
)


def test_readme_documents_every_environment_variable_the_code_reads():
    names = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        names.update(READ.findall(path.read_text()))
    readme = (ROOT / "README.md").read_text()
    assert "DJANGO_SECRET_KEY" in names
    assert sorted(n for n in names if f"| `{n}` |" not in readme) == []


def test_readme_shell_blocks_export_the_variables_they_set():
    """`VAR=value` alone on a line sets a shell variable the next commands never see."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    assert blocks
    bare = [
        line
        for block in blocks
        for line in block.splitlines()
        if re.match(r"[A-Z][A-Z0-9_]*=\S*\s*(#.*)?$", line.strip())
    ]
    assert bare == []
