"""The layer rules of the architecture, checked in fresh interpreters and in the source itself.

Every Qt-free package (all of its modules) imports without PySide6, and studio.core depends on
nothing but the standard library, sqlite-utils and platformdirs.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_DEPENDENCIES = {"sqlite_utils", "platformdirs"}

# Alembic's env.py and revision files are scripts alembic runs, not modules to import.
SCRIPTS = ("studio.server.migrations.",)

_LOAD_ALL = """
import importlib, json, pkgutil, sys
name, scripts = sys.argv[1], tuple(sys.argv[2:])
module = importlib.import_module(name)
loaded = [name]
if hasattr(module, "__path__"):
    for info in pkgutil.walk_packages(module.__path__, name + "."):
        if info.name.startswith(scripts):
            continue
        importlib.import_module(info.name)
        loaded.append(info.name)
if name == "studio.cli.main":
    module.build_parser()
print(json.dumps({"loaded": loaded, "modules": sorted(sys.modules)}))
"""


def load_in_fresh_interpreter(name: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_ALL, name, *SCRIPTS],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, f"importing {name} failed:\n{done.stderr}"
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "package",
    [
        "studio.core",
        "studio.media",
        "studio.services",
        "studio.sync",
        "studio.protocol",
        "studio.server",
        "studio.cli.main",
    ],
)
def test_qt_free_packages_import_without_pyside6(package: str) -> None:
    result = load_in_fresh_interpreter(package)
    assert len(result["loaded"]) >= 1
    qt = [m for m in result["modules"] if m == "PySide6" or m.startswith(("PySide6.", "shiboken6"))]
    assert qt == [], f"{package} pulls in {qt[:5]}"


def _top(module: str) -> str:
    return module.split(".")[0]


def test_core_loads_only_the_standard_library_and_its_two_dependencies() -> None:
    baseline = set(load_in_fresh_interpreter("sqlite_utils")["modules"])
    baseline |= set(load_in_fresh_interpreter("platformdirs")["modules"])
    core = load_in_fresh_interpreter("studio.core")
    assert "studio.core.store" in core["loaded"] and "studio.core.edits" in core["loaded"]
    extra = set(core["modules"]) - baseline
    foreign = sorted(
        m
        for m in extra
        if _top(m) not in sys.stdlib_module_names and not m.startswith("studio.core") and m != "studio"
    )
    assert foreign == [], f"studio.core loads {foreign[:10]}"


def test_core_source_imports_only_allowed_modules() -> None:
    """Also the imports inside functions, which loading the modules does not run."""
    problems = []
    for path in sorted((ROOT / "studio" / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = _top(name)
                allowed = (
                    top in sys.stdlib_module_names
                    or top in CORE_DEPENDENCIES
                    or name == "studio"
                    or name.startswith("studio.core")
                )
                if not allowed:
                    problems.append(f"{path.name}:{node.lineno} imports {name}")
    assert problems == []
