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


CODEC_SAMPLES = Path(__file__).resolve().parent.parent / "data" / "clip_codecs"
"""Project file, rows and documents written from `codec_sample_clips` by the code before the clip codecs
moved (see its README)."""


def codec_sample_clips(folder: Path) -> list[Clip]:
    """The three clips behind CODEC_SAMPLES: every field set, a weighted credit with an absolute media path,
    and an image with no duration; the first one's media in `folder`/media."""
    from studio.core.clips import Credit

    def cid(name: str) -> str:
        return hashlib.sha256(name.encode()).hexdigest()

    block = {
        "schema": "studio-credits/1",
        "work": {"id": "w", "title": "Früh"},
        "contributors": [{"id": "x", "name": "Ann", "roles": ["camera"], "share_bp": 10000}],
    }
    return [
        Clip(
            id=cid("harbour"),
            title="Harbour at dawn",
            kind="video",
            duration=Fraction(1001, 30),
            credits=(
                Credit("Ann Lee", ("camera", "sound")),
                Credit("Bo", ("music",), Fraction(2, 3)),
                Credit("Zoë", ("edit",), Fraction(0)),
            ),
            licence="CC-BY-4.0",
            owner="ann",
            has_video=True,
            has_audio=True,
            path=folder / "media" / "harbour.mp4",
            lineage=(cid("a"), cid("b")),
            embedded_credits=block,
            tags=("sea", "boats", "ünïcode"),
            probe={
                "schema": "studio.probe/1",
                "duration": "1001/30",
                "streams": [{"codec": "h264", "fps": "30000/1001"}],
            },
        ),
        Clip(
            id=cid("song"),
            title="Song",
            kind="audio",
            duration=Fraction(12),
            credits=(Credit("Cy", ("music", "vocals"), Fraction(3)),),
            licence="CC0-1.0",
            has_audio=True,
            path=Path("/srv/remix-media/song.wav"),
        ),
        Clip(id=cid("still"), title="", kind="image", duration=None, has_video=True),
    ]
