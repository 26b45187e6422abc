"""The standalone bundle: built with build_installer.py and run with the project and its environment
stripped from PATH and PYTHONPATH, as on a machine without Python."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import mutagen
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build once per test run: parallel workers share the build through a lock in the common temp root."""
    shared = tmp_path_factory.getbasetemp().parent / "installer"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dist = shared / "dist"
        if not (shared / "built").exists():
            proc = subprocess.run(
                [sys.executable, str(ROOT / "build_installer.py"),
                 "--dist", str(dist), "--work", str(shared / "build"), "--no-deb"],
                capture_output=True, text=True, timeout=1200,
            )
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            (shared / "built").write_text(proc.stdout)
    folders = [p for p in dist.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    archives = list(dist.glob("*.tar.gz"))
    assert len(archives) == 1 and archives[0].stat().st_size > 0
    return folders[0]


def clean_env(home: Path) -> dict[str, str]:
    """No project, no virtual environment, no Python on PATH: only what the bundle brings."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "STUDIO_DATA_DIR": str(home / "data"),
        "STUDIO_CONFIG_DIR": str(home / "config"),
        "STUDIO_CACHE_DIR": str(home / "cache"),
        "QT_QPA_PLATFORM": "offscreen",
    }


@contextlib.contextmanager
def using(bundle: Path, exclusive: bool = False) -> Iterator[None]:
    """Runs share the bundle; the portable-mode test changes it, so it runs alone."""
    with open(bundle.parent / ".use", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield


def run_bundled(bundle: Path, args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    with using(bundle):
        return subprocess.run(
            [str(bundle / "studio"), *args], cwd=home, env={**clean_env(home), **env},
            capture_output=True, text=True, timeout=600,
        )


def test_bundle_is_named_with_the_version(bundle: Path) -> None:
    from studio import __version__

    assert f"-{__version__}-" in bundle.name
    assert (bundle / "studio").is_file() and os.access(bundle / "studio", os.X_OK)
    # The fallback font for names in Chinese, Japanese and Korean, with its licence (docs/decisions.md).
    fonts = bundle / "_internal" / "resources" / "fonts"
    assert (fonts / "wqy-microhei.ttc").stat().st_size > 1_000_000
    assert (fonts / "wqy-microhei.copyright").is_file()


def test_bundled_version(bundle: Path, tmp_path: Path) -> None:
    from studio import __version__

    proc = run_bundled(bundle, ["--version"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"studio {__version__}"


def test_bundled_demo_renders_a_piece_with_credits(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_bundled(bundle, ["demo", "--out", str(out), "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rendered = [p for p in out.iterdir() if p.suffix == ".mp4"]
    assert rendered, list(out.iterdir())
    tags = mutagen.File(rendered[0])
    raw = tags.tags["----:com.apple.iTunes:CREDITS_JSON"][0]
    block = json.loads(bytes(raw).decode("utf-8"))
    assert block["schema"] == "studio-credits/1"
    assert sum(c["share_bp"] for c in block["contributors"]) == 10000
    assert len(block["contributors"]) >= 3


def test_bundled_app_starts_offscreen_and_quits(bundle: Path, tmp_path: Path) -> None:
    proc = run_bundled(bundle, [], tmp_path, STUDIO_QUIT_AFTER_MS="1500", STUDIO_NO_WELCOME="1")
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_portable_mode_keeps_data_beside_the_executable(bundle: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    for key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
        env.pop(key)
    marker = bundle / "portable"
    with using(bundle, exclusive=True):
        marker.write_text("")
        try:
            proc = subprocess.run([str(bundle / "studio"), "project", "new", "portable-check"], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            assert (bundle / "studio-data" / "data" / "studio.db").exists()
            assert not (tmp_path / ".local" / "share" / "remix-studio").exists()
        finally:
            marker.unlink()
            shutil.rmtree(bundle / "studio-data", ignore_errors=True)
