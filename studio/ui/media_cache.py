"""Thumbnails, waveform peaks and posters for the UI, made on the media pool and kept in memory.

The preview service builds and caches them on disk (keyed by media SHA-256); this layer asks for them in the
background and turns the images into pixmaps on the main thread, announcing each with media_ready so the
timeline and library repaint just the clips concerned. Nothing here ever waits on ffmpeg.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from studio.ui import tasks

THUMB_HEIGHT = 46
THUMB_EVERY_S = 1
PEAKS_PER_SECOND = 100
POSTER_HEIGHT = 90

PathLookup = Callable[[str], "tuple[Path, bool, bool] | None"]
"""clip id -> (media file, has picture, has sound), or None when the media is not here."""


class MediaCache(QObject):
    media_ready = Signal(str)  # clip id whose thumbnails, peaks or poster arrived

    def __init__(self, lookup: PathLookup, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lookup = lookup
        self._thumbs: dict[str, list[QPixmap]] = {}
        self._peaks: dict[str, Any] = {}
        self._posters: dict[str, QPixmap] = {}
        self._pending: set[tuple[str, str]] = set()
        self._failed: set[tuple[str, str]] = set()

    def set_lookup(self, lookup: PathLookup) -> None:
        self._lookup = lookup

    def thumbnails(self, clip_id: str) -> list[QPixmap]:
        """Cached thumbnails (one per THUMB_EVERY_S); empty while they are being made."""
        found = self._thumbs.get(clip_id)
        if found is None:
            self._request("thumbs", clip_id)
            return []
        return found

    def peaks(self, clip_id: str) -> Any:
        """The (n, 2) int16 peaks array, or None while it is being made or when there is no sound."""
        found = self._peaks.get(clip_id)
        if found is None:
            self._request("peaks", clip_id)
        return found

    def poster(self, clip_id: str) -> QPixmap | None:
        found = self._posters.get(clip_id)
        if found is None:
            self._request("poster", clip_id)
        return found

    def pending(self) -> int:
        return len(self._pending)

    def _request(self, what: str, clip_id: str) -> None:
        key = (what, clip_id)
        if key in self._pending or key in self._failed:
            return
        found = self._lookup(clip_id)
        if found is None:
            return
        path, has_video, has_audio = found
        if (what in ("thumbs", "poster") and not has_video) or (what == "peaks" and not has_audio):
            self._failed.add(key)
            return
        self._pending.add(key)
        job = {"thumbs": _load_thumbnails, "peaks": _load_peaks, "poster": _load_poster}[what]
        tasks.submit(
            "media",
            lambda ctx: job(path, clip_id, ctx.cancel),
            name=f"{what} {clip_id[:8]}",
            on_done=lambda result: self._on_loaded(key, result),
            on_failed=lambda _exc: self._on_failed(key),
            owner=self,
        )

    def _on_loaded(self, key: tuple[str, str], result: Any) -> None:
        self._pending.discard(key)
        what, clip_id = key
        if what == "thumbs":
            self._thumbs[clip_id] = [QPixmap.fromImage(img) for img in result]
        elif what == "peaks":
            self._peaks[clip_id] = result
        else:
            self._posters[clip_id] = QPixmap.fromImage(result)
        self.media_ready.emit(clip_id)

    def _on_failed(self, key: tuple[str, str]) -> None:
        self._pending.discard(key)
        self._failed.add(key)


def _load_thumbnails(path: Path, sha: str, cancel: Any) -> list[QImage]:
    from studio.services import preview

    files = preview.thumbnails(path, sha, every_s=THUMB_EVERY_S, height=THUMB_HEIGHT, cancel=cancel)
    return [QImage(str(f)) for f in files]


def _load_peaks(path: Path, sha: str, cancel: Any) -> Any:
    from studio.services import preview

    return preview.peaks(path, sha, per_second=PEAKS_PER_SECOND, cancel=cancel)


def _load_poster(path: Path, sha: str, cancel: Any) -> QImage:
    from studio.services import preview

    return QImage(str(preview.poster(path, sha, at=1, height=POSTER_HEIGHT, cancel=cancel)))
