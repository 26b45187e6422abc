"""OpenTimelineIO (.otio) import and export, keeping credits, licences and our item fields.

Export writes one OTIO track per studio track (bottom to top, as OTIO stacks them), Clips whose
source_range is in the clip's media time, Gaps for holes, an ExternalReference whose target_url is
the media's file URL, and under `metadata["studio"]` everything OTIO has no field for: the clip id,
credits (`[{"name", "role"}]`, one entry per role), licence, the rest of the clip record, the item's
id, gain, fades and mute; the timeline's editors and settings. The timeline's start time is its
global_start_time. Title items become clips with a GeneratorReference of kind "studio.title"; markers
become OTIO markers on the top stack with their range and colour.

Import reads such files back exactly, and files written by other tools as well as we can: gaps,
transitions (left out with a warning; the cut stays), nested stacks and tracks (flattened in place
with a warning; the extra layers of a nested stack become tracks of their own just above), markers,
generator references (a title if it is ours, otherwise left out with a warning), missing media and
image sequences (the items are kept and the clip is listed in `offline`). What other tools wrote in
the metadata of the timeline, its tracks, clips and markers is kept under FOREIGN and written back
where it was; so are a marker's name and comment, and the place of a marker hung outside its clip.
Times become exact Fractions (value / rate, with 23.976... read back as 24000/1001). Following
OTIO's convention that editors put picture and sound on separate tracks, items that another tool
placed on a video track are muted, so sound comes from the audio tracks and nothing plays twice.

opentimelineio is imported only here, when a function is called.

The package: `reader` checks and loads the file, `importer` walks its tracks and stacks into lanes and
tracks, `clips` finds each clip's media, id and credits, `markers` carries markers, `writer` exports, and
`common` holds the metadata keys and the time and metadata conversions both directions share.
"""

from __future__ import annotations

from studio.services.otio.common import (
    FOREIGN,
    MARKER_TEXT,
    MEDIA,
    OTIO_SCHEMA_TAG,
    STUDIO,
    TITLE_GENERATOR,
    ImportedTimeline,
)
from studio.services.otio.reader import import_otio
from studio.services.otio.writer import export_otio

__all__ = [
    "FOREIGN",
    "MARKER_TEXT",
    "MEDIA",
    "OTIO_SCHEMA_TAG",
    "STUDIO",
    "TITLE_GENERATOR",
    "ImportedTimeline",
    "export_otio",
    "import_otio",
]
