"""The xdist groups of tests/conftest.py really keep a group's tests on one worker.

pytest 9.2 with pytest-xdist 3.8 accepted `--dist loadgroup` and ignored every group, silently; this runs a
small suite through the same hook in a fresh pytest with two workers and reads back where each test ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CONFTEST = """
import pytest

from tests.conftest import pytest_collection_modifyitems as group_hook

XDIST_GROUPS = {"test_grouped.py": "together"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    import tests.conftest as project

    project.XDIST_GROUPS = XDIST_GROUPS
    group_hook(config, items)
"""

_TESTS = """
import json, os, time
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(6))
def test_record_worker(n):
    time.sleep(0.2)  # long enough that a free worker would take some of them
    Path(os.environ["WHERE"], f"{__name__}-{n}").write_text(os.environ["PYTEST_XDIST_WORKER"])
"""


def test_a_group_runs_on_one_worker_while_the_other_works(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    where = tmp_path / "where"
    suite.mkdir()
    where.mkdir()
    (suite / "conftest.py").write_text(_CONFTEST)
    (suite / "test_grouped.py").write_text(_TESTS)
    (suite / "test_free.py").write_text(_TESTS)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"),
            *("--dist", "loadgroup", "--rootdir", str(suite), "-c", "/dev/null", str(suite)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "WHERE": str(where), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ran = {p.name: p.read_text() for p in where.iterdir()}
    grouped = {w for name, w in ran.items() if name.startswith("test_grouped")}
    assert len(ran) == 12, json.dumps(ran)
    assert set(ran.values()) == {"gw0", "gw1"}, f"the run used only {sorted(set(ran.values()))}"
    assert len(grouped) == 1, f"the group was split over {sorted(grouped)}"
