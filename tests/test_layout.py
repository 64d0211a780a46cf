"""The import graph keeps its direction: console → core, tools → domain, never back.

Read from the source with `ast`, so a late import inside a function counts as much as one at
the top, and so does `importlib.import_module("…")` with a literal name (the way the demo once
reached the console from core). Each failure names the module and the line that broke the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where the tools around the domain live: the demo's parts, seeding, benchmarks, the Stripe
# stand-in. They may use the domain; the domain never uses them.
DEVKIT = "core.devkit"


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name, e.g. core.jobs
    imported: str  # dotted module name as written (relative imports resolved)
    line: int

    def __str__(self) -> str:
        path = self.importer.replace(".", "/")
        return f"{self.importer} ({path}.py:{self.line}) imports {self.imported}"


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name of `from .. import x` as seen from `importer`."""
    if level == 0:
        return module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _literal_dynamic_import(node: ast.Call) -> str | None:
    """`importlib.import_module("x.y")`, `import_module("x.y")` or `__import__("x.y")`."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imports_of(root: Path, path: Path) -> Iterator[Import]:
    importer = _module_name(root, path)
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(importer, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(importer, is_package, node.level, node.module)
            yield Import(importer, base, node.lineno)
            # `from core import devkit` imports core.devkit: each name may be a module.
            for alias in node.names:
                yield Import(importer, f"{base}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Call) and (name := _literal_dynamic_import(node)):
            yield Import(importer, name, node.lineno)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def all_imports(root: Path, package: str) -> list[Import]:
    paths = sorted((root / package).rglob("*.py"))
    return [found for path in paths for found in imports_of(root, path)]


def _broken(imports: list[Import], importers: str, forbidden: str, exempt: str = "") -> str:
    """Every import that breaks the rule, one a line, so the failure names the module."""
    return "\n".join(
        str(found)
        for found in imports
        if _within(found.importer, importers)
        and not (exempt and _within(found.importer, exempt))
        and _within(found.imported, forbidden)
    )


@pytest.fixture(scope="module")
def core_imports() -> list[Import]:
    return all_imports(ROOT, "core")


def test_core_never_imports_the_console(core_imports: list[Import]) -> None:
    broken = _broken(core_imports, "core", "console")
    assert not broken, broken


def test_core_never_imports_textual(core_imports: list[Import]) -> None:
    broken = _broken(core_imports, "core", "textual")
    assert not broken, broken


def test_the_domain_never_imports_the_devkit(core_imports: list[Import]) -> None:
    broken = _broken(core_imports, "core", DEVKIT, exempt=DEVKIT)
    assert not broken, broken


def test_the_walk_sees_late_relative_and_dynamic_imports(tmp_path: Path) -> None:
    """The checks above are only as good as the walk: it must see every way of importing."""
    package = tmp_path / "core" / "swarm"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from . import link\n")
    (package / "runner.py").write_text(
        "import importlib\n"
        "from ..devkit import seed\n"
        "def late() -> None:\n"
        "    from console.app import LcnConsole\n"
        "    importlib.import_module('textual.app')\n"
    )
    seen = {(found.importer, found.imported) for found in all_imports(tmp_path, "core")}
    assert ("core.swarm", "core.swarm.link") in seen
    assert ("core.swarm.runner", "core.devkit.seed") in seen
    assert ("core.swarm.runner", "console.app") in seen
    assert ("core.swarm.runner", "textual.app") in seen
