"""Credits use-cases for the front ends: the studio-credits block a media file carries, and the helpers
that word it for people (shares as percentages, user text made safe to print).

Reading goes through the media engine's per-container tag readers; the block it returns has been checked
against studio-credits/1, so a front end prints it without checking it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.media import tags
from studio.media.tags import percent as percent  # for the front ends: 3333 -> "33.33 %"
from studio.media.tags import sanitize as sanitize  # for the front ends: no control characters


def embedded_credits(path: Path) -> dict[str, Any] | None:
    """The studio-credits block embedded in the media file at `path`, or None when it carries none.

    MediaError if the file is missing, is not media, or carries a malformed block."""
    return tags.read_credits(Path(path))
