"""Fixtures for the store, project session and edit tests: a store file in the test's data folder
and clip records shaped like what import produces."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core.clips import Clip
from studio.core.project import ProjectSession, create_project
from studio.core.store import Store


def make_clip(
    name: str, kind: str = "video", duration: Fraction | None = Fraction(10), *, has_audio: bool | None = None
) -> Clip:
    """A clip record whose id is the SHA-256 of its name (no media needed for timeline edits)."""
    return Clip(
        id=hashlib.sha256(name.encode()).hexdigest(),
        title=name,
        kind=kind,
        duration=None if kind == "image" else duration,
        has_video=kind in ("video", "image"),
        has_audio=(kind in ("video", "audio")) if has_audio is None else has_audio,
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "studio.db") as opened:
        yield opened


@pytest.fixture()
def session(store: Store) -> ProjectSession:
    return ProjectSession(store, create_project(store, "test"))
