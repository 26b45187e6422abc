"""The clip metadata an .otio export writes comes from the Clip's codec and is what it was before
(tests/data/clip_codecs/otio-metadata.json); import reads it back into the same clip."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from studio.core.timeline import Item, Timeline, Track
from studio.services.otio import export_otio, import_otio
from studio.services.otio.writer import _clip_metadata
from tests.core.conftest import CODEC_SAMPLES, codec_sample_clips


def test_clip_metadata_is_as_before_and_reads_back(tmp_path: Path) -> None:
    samples = codec_sample_clips(tmp_path)
    expected = json.loads((CODEC_SAMPLES / "otio-metadata.json").read_text(encoding="utf-8"))
    assert {c.id: json.loads(json.dumps(_clip_metadata(c))) for c in samples} == expected

    timeline = Timeline()
    timeline.tracks["v"] = Track(id="v", kind="video", name="V1", order="V")
    for index, clip in enumerate(samples):
        timeline.items[f"i{index}"] = Item(id=f"i{index}", track="v", clip=clip.id, start=index, duration=1)
    export_otio(timeline, {c.id: c for c in samples}, tmp_path / "cut.otio")
    imported = import_otio(tmp_path / "cut.otio")
    for clip in samples:
        back = imported.clips[clip.id]
        assert replace(back, path=None, probe={}) == replace(clip, path=None, probe={})
