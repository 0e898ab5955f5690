"""The layout of ARCHITECTURE.md, checked on the code's own imports (also the lazy ones).

- The data's way is one direction: cities ← bestpractices ← matching ← partnerships, and
  ``notifications`` lies below them all.
- ``toolkit`` is a leaf: it imports no app. Apps use the shell ``citymatch`` only for its Celery
  app; the shell imports whatever it assembles.
- The scoring engine (``matching/scoring``) is plain numpy: no Django.
- Inside the apps, the data layer (models, querysets and their helpers) never imports a
  service, and services never import the pages, the API, forms or the admin.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("notifications", "cities", "bestpractices", "matching", "partnerships")
PACKAGES = (*APPS, "toolkit", "citymatch")
# Modules of the data layer and of the interface layer, by their name inside an app.
DATA = {"models", "querysets"}
INTERFACE = {"views", "api", "forms", "filtersets", "admin", "urls", "templatetags", "management"}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of the file, relative ones resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            yield node.lineno, name
            # ``from . import services`` imports a module named by the alias.
            for alias in node.names:
                yield node.lineno, f"{name}.{alias.name}"


def _layer(module: str) -> str:
    parts = module.split(".")
    if any(part in INTERFACE for part in parts[1:]):
        return "interface"
    if len(parts) > 1 and parts[1] in DATA:
        return "data"
    if any(part == "services" or part.startswith("services") for part in parts[1:]):
        return "services"
    return "other"


IMPORTS = [
    (module, line, imported)
    for module, path in _modules()
    for line, imported in _imports(module, path)
    if imported.split(".")[0] in PACKAGES
]


def _where(module: str, line: int, imported: str) -> str:
    return f"{module}:{line} imports {imported}"


def test_apps_import_only_apps_below_them():
    rank = {app: position for position, app in enumerate(APPS)}
    upward = [
        _where(module, line, imported)
        for module, line, imported in IMPORTS
        if module.split(".")[0] in rank
        and imported.split(".")[0] in rank
        and rank[imported.split(".")[0]] > rank[module.split(".")[0]]
    ]
    assert upward == []


def test_the_toolkit_imports_no_app_and_apps_use_the_shell_only_for_celery():
    wrong = [
        _where(module, line, imported)
        for module, line, imported in IMPORTS
        if (module.startswith("toolkit") and not imported.startswith("toolkit"))
        or (
            module.split(".")[0] in APPS
            and imported.startswith("citymatch")
            and imported not in ("citymatch", "citymatch.celery", "citymatch.celery.app")
        )
    ]
    assert wrong == []


def test_the_scoring_engine_needs_no_django():
    engine = ROOT / "matching" / "scoring"
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in engine.rglob("*.py")
        for line, imported in _imports(".".join(path.relative_to(ROOT).with_suffix("").parts), path)
        if imported.split(".")[0] in ("django", "rest_framework", "celery")
        or (
            imported.split(".")[0] in PACKAGES
            and not imported.startswith(("matching.scoring", "matching.vocabulary"))
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("data", "services"), ("data", "interface"), ("services", "interface")],
)
def test_no_layer_imports_a_layer_above_it(lower, higher):
    wrong = [
        _where(module, line, imported)
        for module, line, imported in IMPORTS
        if module.split(".")[0] in APPS and _layer(module) == lower and _layer(imported) == higher
    ]
    assert wrong == []


def test_the_checks_see_real_imports():
    # Guards the checks above against passing because they read nothing.
    assert ("matching.services.runs", "matching.models") in {
        (module, imported) for module, _, imported in IMPORTS
    }
    assert _layer("partnerships.querysets") == "data"
    assert _layer("matching.services.rescoring") == "services"
    assert _layer("cities.api.views") == "interface"
