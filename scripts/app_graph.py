#!/usr/bin/env python3
"""The import graph between the apps, read from the source (no Django needed): `make graph`.

Every `import` counts, at module level or inside a function (a deferred import is still a
dependency), tests excepted. An app is drawn twice: its domain (models, services, selectors,
tasks…) and its pages (views, urls, admin, forms, mixins, commands, template tags), which sit
above every domain (CONVENTIONS §1: pages may use any app's selectors and services).

Layers, top to bottom: the project's wiring (`entaix`), pages, `privacy`, `imports` (with
`oidc` and `scim` beside it), `accounts`, `schools`, `entaix.common`. The script prints each
edge with its count of imports (deferred ones in brackets) and exits 1 if a domain imports a
higher layer or pages import another app's views. `--dot` prints Graphviz DOT instead.
"""

import argparse
import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("entaix", "privacy", "imports", "oidc", "scim", "accounts", "schools")
RANK = {
    "entaix": 6,
    "pages": 5,
    "privacy": 4,
    "imports": 3,
    "oidc": 3,
    "scim": 3,
    "accounts": 2,
    "schools": 1,
    "common": 0,
}
PAGE_MODULES = {"admin", "forms", "mixins", "context_processors"}
PAGE_PACKAGES = {"views", "templatetags", "commands"}


def app_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in APPS:
        return None
    if parts[0] == "entaix" and len(parts) > 1 and parts[1] == "common":
        return "common"
    return parts[0]


def is_views(module: str) -> bool:
    last = module.split(".")
    return any(p.startswith(("views", "urls")) for p in last[1:])


def is_pages(module: str) -> bool:
    parts = module.split(".")[1:]
    return (
        is_views(module)
        or any(p in PAGE_PACKAGES for p in parts[:-1])
        or (bool(parts) and parts[-1] in PAGE_MODULES)
    )


def node_of(module: str) -> str | None:
    app = app_of(module)
    if app is None or app in ("entaix", "common"):
        return app
    return f"{app} (pages)" if is_pages(module) else app


def rank(node: str) -> int:
    return RANK["pages"] if node.endswith("(pages)") else RANK[node]


def modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            if "tests" in rel.parts:
                continue
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imports_of(module: str, path: Path):
    """(imported module, deferred) for each import statement of the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))

    def visit(node, deferred):
        for child in ast.iter_child_nodes(node):
            inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, deferred
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")
                    up = up[: len(up) - (child.level - 1)]
                    base = ".".join([*up, base] if base else up)
                for alias in child.names:
                    yield f"{base}.{alias.name}" if base else alias.name, deferred
            yield from visit(child, inner)

    yield from visit(tree, False)


def graph():
    edges: Counter = Counter()
    deferred: Counter = Counter()
    faults = []
    for module, path in modules():
        source = node_of(module)
        for target_module, is_deferred in imports_of(module, path):
            target = node_of(target_module)
            if target is None or target.split(" ")[0] == source.split(" ")[0]:
                continue
            edges[source, target] += 1
            deferred[source, target] += is_deferred
            line = f"{module} -> {target_module}"
            if rank(target) > rank(source):
                faults.append(f"upward: {line}")
            elif source.endswith("(pages)") and is_views(target_module):
                faults.append(f"another app's views: {line}")
    return edges, deferred, faults


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dot", action="store_true", help="print Graphviz DOT")
    args = parser.parse_args()
    edges, deferred, faults = graph()
    order = sorted(edges, key=lambda e: (-rank(e[0]), e[0], -rank(e[1]), e[1]))
    if args.dot:
        print("digraph apps {\n  rankdir=TB;\n  node [shape=box];")
        for node in sorted({n for e in edges for n in e}, key=lambda n: -rank(n)):
            print(f'  "{node}";')
        for source, target in order:
            label = f"{edges[source, target]}"
            if deferred[source, target]:
                label += f" ({deferred[source, target]} deferred)"
            print(f'  "{source}" -> "{target}" [label="{label}"];')
        print("}")
    else:
        print("App-to-app imports (names imported; deferred ones in brackets), top layer first:")
        for source, target in order:
            extra = f" [{deferred[source, target]} deferred]" if deferred[source, target] else ""
            print(f"  {source:18} -> {target:18} {edges[source, target]:4}{extra}")
        upward = sum(f.startswith("upward") for f in faults)
        print(f"Upward edges: {upward}; imports of another app's views: {len(faults) - upward}")
    for fault in faults:
        print(fault, file=sys.stderr)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
