"""The house's dependency arrows: an app imports only from the apps below it.

commissions <- marketplace <- payments <- cms <- config (README, "Map of the code").
Read from the source (every import, also inside functions), not from what happens to be
loaded.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("commissions", "marketplace", "payments", "cms", "config")
BELOW = {
    "commissions": set(),
    "marketplace": {"commissions"},
    "payments": {"commissions", "marketplace"},
}


def _imports(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def _sources(app: str):
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", sorted(BELOW))
def test_an_app_imports_only_from_the_apps_below_it(app):
    allowed = BELOW[app] | {app}
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources(app)
        for module in _imports(path)
        if module.split(".")[0] in OURS and module.split(".")[0] not in allowed
    }
    assert not wrong, sorted(wrong)


def test_commission_models_import_nothing_above_them_in_their_app():
    """What Wagtail calls on a model and needs more goes through the models' signals."""
    above = {f"commissions.{name}" for name in ("golive", "governance", "preview_views")}
    above |= {f"commissions.{name}" for name in ("rules_io", "simulation", "views")}
    imported = _imports(ROOT / "commissions" / "models.py")
    assert not imported & above, sorted(imported & above)


def _imports_inside_functions(path: Path):
    """(function, module) for each import of one of our modules inside a function body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for module in names:
                if module.split(".")[0] in OURS:
                    yield function.name, module


def test_our_modules_are_imported_at_the_top_except_when_an_app_is_ready():
    """An import inside a function hides a circle (a module that cannot import another at
    load time). The one place for it is ``AppConfig.ready``, Django's own: wiring that needs
    every model loaded (signal receivers, registries, hooks)."""
    hidden = {
        f"{path.relative_to(ROOT)}: {function} imports {module}"
        for app in OURS
        for path in _sources(app)
        for function, module in _imports_inside_functions(path)
        if not (path.name == "apps.py" and function == "ready")
    }
    assert not hidden, sorted(hidden)
