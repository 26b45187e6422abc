"""Test-wide isolation: every test gets its own data, config and cache folders, and Qt runs offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("STUDIO_KEYRING", "file")


@pytest.fixture(autouse=True)
def studio_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point STUDIO_DATA_DIR / STUDIO_CONFIG_DIR / STUDIO_CACHE_DIR at fresh folders for each test."""
    base = tmp_path_factory.mktemp("studio-home")
    dirs = {
        "STUDIO_DATA_DIR": str(base / "data"),
        "STUDIO_CONFIG_DIR": str(base / "config"),
        "STUDIO_CACHE_DIR": str(base / "cache"),
    }
    for key, value in dirs.items():
        monkeypatch.setenv(key, value)
    return dirs


# Tests that must not run at the same time as each other, kept on one xdist worker (`--dist loadgroup`):
# - installer: the bundle is built once per run and shared; the portable-mode test changes it and takes it
#   exclusively. On one worker the build happens once and the other worker never waits on its lock.
# - process-bounds: bounds on a real process's memory and timing (RSS under connection floods, header and
#   body timeouts, Retry-After delays, a sync still on the wire at quit). Two of them at once on a 2-core
#   machine load it enough to push each other past those bounds.
XDIST_GROUPS = {
    "tests/test_installer.py": "installer",
    "tests/server/test_abuse_connections.py": "process-bounds",
    "tests/server/test_throttle.py": "process-bounds",
    "tests/ui/test_quit.py": "process-bounds",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks to name each test's group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = XDIST_GROUPS.get(item.nodeid.split("::", 1)[0])
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
