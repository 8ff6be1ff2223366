"""No import cycles between the project's modules.

A cycle is how an interface ends up importing its backends (the sink's store did): every
import counts, also one inside a function or under `if TYPE_CHECKING:`, because a deferred
import hides a cycle from the interpreter but not from the reader. The packages checked are
the ones mypy checks (`[tool.mypy] packages` in pyproject.toml), so a renamed or added
package is covered without editing this test.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ImportGraph = dict[str, set[str]]


def project_packages(root: Path) -> list[str]:
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mypy"]["packages"])


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, packages: Iterable[str]) -> ImportGraph:
    """Each module of the packages -> the modules of the packages it imports."""
    files = {
        module_name(root, path): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }
    return {
        module: {target for target in _imported(module, path) if target in files} - {module}
        for module, path in files.items()
    }


def _imported(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # The package a relative import starts from: the module's own, or itself for __init__.
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            start = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*start, *([node.module] if node.module else [])])
            names.add(base)
            # `from package import module` imports the module, not only the package.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_the_project_has_no_import_cycle() -> None:
    packages = project_packages(ROOT)
    graph = import_graph(ROOT, packages)
    assert len(graph) > 50, f"too few modules found in {packages}: is the layout still right?"
    assert import_cycles(graph) == []


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    """The sink's old shape: the interface's factory imported a backend inside a function,
    the backend imported the interface at the top."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "store.py").write_text(
        "class Row: ...\n\ndef open_store():\n    from pkg.backend import Backend\n"
    )
    (tmp_path / "pkg" / "backend.py").write_text("from .store import Row\n\nclass Backend: ...\n")
    (tmp_path / "pkg" / "user.py").write_text("from pkg import store\n")

    graph = import_graph(tmp_path, ["pkg"])

    assert graph["pkg.user"] == {"pkg", "pkg.store"}
    assert import_cycles(graph) == [["pkg.backend", "pkg.store"]]


def test_modules_that_import_in_one_direction_are_no_cycle(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "port.py").write_text("class Row: ...\n")
    (tmp_path / "pkg" / "backend.py").write_text("from pkg.port import Row\n")
    (tmp_path / "pkg" / "factory.py").write_text(
        "from pkg.port import Row\n\ndef make():\n    from pkg.backend import Row\n"
    )

    assert import_cycles(import_graph(tmp_path, ["pkg"])) == []
