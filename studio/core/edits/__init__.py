"""Edit operations: pure functions (timeline, arguments) -> list of primitive ops.

Each function checks the edit against the timeline and raises EditRejected or NotFound with a
message naming what is wrong; it never changes the timeline. The project session applies the
returned ops and journals them as one undo step. Times are exact Fractions of a second;
`in`/`out` are points in the clip (source), `at` is a point on the timeline.

The package: `lookup` finds what an edit names and holds the shared checks; `tracks`, `items`,
`annotations` (metadata and markers) and `conflicts` hold the edits. Everything is importable from here.
"""

from __future__ import annotations

from studio.core.edits.annotations import (
    METADATA_NAMESPACE_RE,
    add_marker,
    edit_marker,
    remove_marker,
    set_item_metadata,
)
from studio.core.edits.conflicts import resolve_conflict
from studio.core.edits.items import (
    add_title,
    check_clip_fits_track,
    insert_item,
    move_item,
    remove_item,
    ripple_remove,
    set_fades,
    set_gain,
    set_item_muted,
    set_text,
    split_item,
    trim_item,
)
from studio.core.edits.lookup import (
    STILL_DEFAULT_DURATION,
    find_item,
    find_track,
    format_seconds,
    get_item,
    get_marker,
    items_on,
    track_end,
)
from studio.core.edits.tracks import (
    add_track,
    next_track_name,
    remove_track,
    rename_track,
    set_track_locked,
    set_track_muted,
    track_kind_for_name,
)

__all__ = [
    "METADATA_NAMESPACE_RE",
    "STILL_DEFAULT_DURATION",
    "add_marker",
    "add_title",
    "add_track",
    "check_clip_fits_track",
    "edit_marker",
    "find_item",
    "find_track",
    "format_seconds",
    "get_item",
    "get_marker",
    "insert_item",
    "items_on",
    "move_item",
    "next_track_name",
    "remove_item",
    "remove_marker",
    "remove_track",
    "rename_track",
    "resolve_conflict",
    "ripple_remove",
    "set_fades",
    "set_gain",
    "set_item_metadata",
    "set_item_muted",
    "set_text",
    "set_track_locked",
    "set_track_muted",
    "split_item",
    "track_end",
    "track_kind_for_name",
    "trim_item",
]
