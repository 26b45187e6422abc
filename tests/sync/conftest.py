"""Fixtures for the sync tests: a live server on loopback and client data folders that act as machines.

Each `Client` is one machine: its own data, config and cache folders. Tests drive a client either in
this process (`with client.active():` points the studio's folders at it) or as real CLI subprocesses
with its environment.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.core.store import Store
from tests.deps import missing_dependency
from tests.server.conftest import REPO, ServerProcess, unique

PASSWORD = "correct horse battery"
_DIRS = ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR")


class Client:
    """One machine: its folders, and helpers to act as it in-process or through the CLI."""

    def __init__(self, root: Path, name: str, extra_env: dict[str, str] | None = None) -> None:
        self.root = root
        self.name = name
        self.user = ""
        self.extra_env = dict(extra_env or {})

    @property
    def env(self) -> dict[str, str]:
        return {
            "STUDIO_DATA_DIR": str(self.root / "data"),
            "STUDIO_CONFIG_DIR": str(self.root / "config"),
            "STUDIO_CACHE_DIR": str(self.root / "cache"),
            "STUDIO_KEYRING": "file",
            **self.extra_env,
        }

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Point the studio's folders (and so the store, media and login) at this machine."""
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        with self.active():
            store = Store()
            try:
                yield store
            finally:
                store.close()

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a services function as this machine, on its own store."""
        with self.store() as store:
            return func(*args, store=store, **kwargs)

    def signup(self, url: str, user: str | None = None) -> Client:
        from studio.services import sync as svc

        self.user = user or unique(self.name)
        with self.active():
            svc.signup(url, self.user, PASSWORD)
        return self

    def cli(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "studio.cli.main", *args],
            cwd=REPO,
            input=input,
            text=True,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **self.env, **(env or {})},
        )

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "studio.cli.main", *args],
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **self.env, **(env or {})},
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One live server shared by the tests that do not restart or break it."""
    proc = ServerProcess(tmp_path_factory.mktemp("server")).start()
    yield proc
    proc.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server this test may kill, restart or restore."""
    proc = ServerProcess(tmp_path / "server")
    yield proc
    proc.stop()


@pytest.fixture
def machines(tmp_path: Path) -> Any:
    """make(name) -> a fresh Client with its own folders under this test's tmp_path."""

    def make(name: str, **env: str) -> Client:
        return Client(tmp_path / name, name, env)

    return make


def noise_wav(path: Path, seconds: float, seed: int) -> Path:
    """White noise as 48 kHz stereo 16-bit WAV (192 kB per second): big, fast to make, unique per seed."""
    from tests import mediagen

    mediagen.run(
        [
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=d={seconds}:c=white:r=48000:a=0.5:seed={seed}",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
            str(path),
        ]
    )
    return path


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def wait_for(predicate: Any, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small RAM file system at `path`, so 'disk full' happens for real (needs mount permission)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        missing_dependency(
            f"cannot mount a tmpfs to fill a disk for real ({done.stderr.strip() or 'not permitted'})"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def resize_tmpfs(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True)
