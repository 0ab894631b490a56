"""The layout's rules, read from the source: no import cycles among the project's modules
(imports inside functions count), and the layers only import downwards."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("inference", "training", "sorting", "library", "api", "cli")
# Who may import whom: inference is the bottom layer; cli fronts everything.
ALLOWED = {
    "inference": {"inference"},
    "training": {"inference", "training"},
    "sorting": {"inference", "sorting"},
    "library": {"inference", "library"},
    "api": {"inference", "training", "sorting", "library", "api"},
    "cli": set(PACKAGES),
}


def _modules() -> dict[str, Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p for p in files}


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> project modules it imports (every import statement, at any depth)."""
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def test_no_import_cycles():
    modules = _modules()
    edges = _imports(modules)
    names = sorted(modules)
    index = {m: i for i, m in enumerate(names)}
    rows = [index[a] for a in names for _ in edges[a]]
    cols = [index[b] for a in names for b in sorted(edges[a])]
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names), len(names)))
    _, labels = connected_components(graph, directed=True, connection="strong")
    cycles = [sorted(m for m in names if labels[index[m]] == label) for label in set(labels)]
    assert [c for c in cycles if len(c) > 1] == []


def test_layers_import_only_downwards():
    edges = _imports(_modules())
    upward = sorted(
        f"{a} imports {b}" for a, targets in edges.items() for b in targets if b.split(".")[0] not in ALLOWED[a.split(".")[0]]
    )
    assert upward == []
