"""The runtime is requirements.txt alone: no module of the apps imports a test, lint or benchmark package.

Every import in the apps' code, at the top of a module or inside a function, is
read from the source (so a lazy import counts too) and traced to the
distribution that provides it. ``make check-runtime`` then proves it for real:
a clean virtualenv with requirements.txt alone imports every module and passes
``check --deploy``.
"""

import ast
import functools
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "requests_app", "stats_app")


@functools.cache
def pinned(file_name: str) -> frozenset[str]:
    names = set()
    for line in (ROOT / file_name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-r")):
            names.add(line.split("==")[0].lower().replace("_", "-"))
    return frozenset(names)


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@functools.cache
def _providers() -> dict[str, list[str]]:
    return packages_distributions()


def app_modules() -> list[Path]:
    return sorted(path for app in APPS for path in (ROOT / app).rglob("*.py"))


def test_the_runtime_and_the_development_pins_do_not_overlap():
    assert pinned("requirements.txt") & pinned("requirements-dev.txt") == set()


@pytest.mark.parametrize("path", app_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_of_the_apps_imports_a_development_package(path):
    runtime = pinned("requirements.txt")
    providers = _providers()
    outside = []
    for name in imported_top_levels(path):
        if name in sys.stdlib_module_names or name in APPS:
            continue
        distributions = {item.lower().replace("_", "-") for item in providers.get(name, [])}
        if not distributions & runtime:
            outside.append(f"{name} ({', '.join(sorted(distributions)) or 'not installed'})")
    assert outside == [], f"{path.relative_to(ROOT)} imports what production does not install: {outside}"
