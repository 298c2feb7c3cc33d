"""Apps reach each other only through services, selectors and models
(DESIGN.md §1): never another app's api/, views, forms or tasks. The layer
direction itself is import-linter's job (pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "otc.customers",
    "otc.ledger",
    "otc.fx",
    "otc.audit",
    "otc.accounts",
    "otc.tenancy",
    "otc.api",
    "otc.web",
    "credit",
    "invoicing",
    "deductions",
    "collections_app",
    "reporting",
]
PUBLIC_MODULES = {"services", "selectors", "models"}
# The API platform and the web shell are the toolkit every app's interface
# layer builds on (base views, permissions, listing); any of their modules may
# be imported. They are still checked as importers of other apps.
SHARED_INTERFACE = {"otc.api", "otc.web"}
# The tenancy kernel's plumbing is public by design: every app uses it.
KERNEL_PUBLIC = {
    "otc.tenancy": {"context", "dates", "roles", "rls", "managers", "middleware"},
    "otc.fx": {"money"},
}
# The composition roots and the shared web shell wire apps together.
EXEMPT = {"otc/urls.py", "otc/celery.py"}


def _owning_app(module: str) -> str | None:
    matches = [app for app in APPS if module == app or module.startswith(app + ".")]
    return max(matches, key=len) if matches else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _python_files() -> list[Path]:
    files = []
    for app in APPS:
        folder = ROOT / app.replace(".", "/")
        files.extend(p for p in folder.rglob("*.py") if "migrations" not in p.parts)
    return files


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_cross_app_imports_use_public_modules_only(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    if relative in EXEMPT:
        return
    importer = _owning_app(relative.removesuffix(".py").replace("/", "."))
    for name in _imports(path):
        target = _owning_app(name)
        if target is None or target == importer:
            continue
        rest = name[len(target) + 1 :].split(".")
        if target in SHARED_INTERFACE:
            continue
        assert rest[0] in PUBLIC_MODULES | KERNEL_PUBLIC.get(target, set()), (
            f"{relative} imports {name}: use {target}.services / .selectors / .models"
        )
