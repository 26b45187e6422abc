"""The clips the app knows: the local library, and the last search of the shared one.

Views look clips up by id on the main thread from this in-memory copy; reload() reads the store on the
import pool and swaps the copy in when it arrives, announcing it with `changed`. Each clip has a state
the library shows: here ("local"), published from here, only a record whose media is on the server
("remote"), on its way ("pulling", "uploading"), or published while the server could not be reached and
waiting for the next sync to go out ("queued").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.core.clips import Clip
from studio.core.paths import media_path
from studio.ui import tasks

Loader = Callable[[], Iterable[tuple[Clip, str]]]
"""Reads the library: each clip with its state."""
STATES = ("local", "published", "remote", "pulling", "uploading", "queued")


class ClipCatalog(QObject):
    changed = Signal()
    shared_changed = Signal()
    load_failed = Signal(str)

    def __init__(self, loader: Loader | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.clips: dict[str, Clip] = {}
        # The last shared library search, by claim id: several publishers may claim one media file, and
        # each claim is its own row (the Clip's owner is its publisher).
        self.shared: dict[str, Clip] = {}
        self.states: dict[str, str] = {}  # clip id -> one of STATES

    def set_loader(self, loader: Loader) -> None:
        self._loader = loader

    def get(self, clip_id: str) -> Clip | None:
        return self.clips.get(clip_id)

    def media_file(self, clip_id: str) -> tuple[Path, bool, bool] | None:
        """(file, has picture, has sound) for clips whose media is on this machine."""
        clip = self.clips.get(clip_id)
        if clip is None:
            return None
        path = clip.path if clip.path is not None and clip.path.is_file() else media_path(clip_id)
        if not path.is_file():
            return None
        return path, clip.has_video, clip.has_audio

    def resolved(self, clip_ids: Iterable[str]) -> dict[str, Clip]:
        """The clips known among `clip_ids`, each pointing at its media on this machine when it is here
        (what a render and the credits need; clips without media are left for the render to name)."""
        out = {}
        for clip_id in clip_ids:
            clip = self.clips.get(clip_id)
            found = self.media_file(clip_id)
            if clip is not None:
                out[clip_id] = replace(clip, path=found[0]) if found else clip
        return out

    def replace(self, loaded: Iterable[tuple[Clip, str]]) -> None:
        busy = {c: s for c, s in self.states.items() if s in ("pulling", "uploading")}
        pairs = list(loaded)
        self.clips = {clip.id: clip for clip, _state in pairs}
        for clip, state in pairs:
            self.states[clip.id] = busy.get(clip.id, state)
        for clip_id in self.shared_ids():
            self.states[clip_id] = self.shared_state(clip_id)
        self.changed.emit()
        self.shared_changed.emit()

    def shared_ids(self) -> set[str]:
        """The media ids (clip ids) the last shared search showed."""
        return {clip.id for clip in self.shared.values()}

    def shared_clip(self, clip_id: str) -> Clip | None:
        """A claim about `clip_id` from the last shared search (the first by claim id), if it showed one."""
        found = [claim for claim, clip in self.shared.items() if clip.id == clip_id]
        return self.shared[min(found)] if found else None

    def shared_state(self, clip_id: str) -> str:
        state = self.states.get(clip_id, "remote")
        if state in ("pulling", "uploading"):
            return state
        return self.states[clip_id] if clip_id in self.clips else "remote"

    def set_shared(self, claims: Iterable[tuple[str, Clip]]) -> None:
        """Show a search of the shared library: (claim id, clip) pairs, one row per claim (clips already
        here keep their local state)."""
        self.shared = dict(claims)
        for clip_id in self.shared_ids():
            self.states[clip_id] = self.shared_state(clip_id)
        self.shared_changed.emit()

    def add(self, clips: Iterable[Clip]) -> None:
        for clip in clips:
            self.clips[clip.id] = clip
            self.states.setdefault(clip.id, "local")
        self.changed.emit()

    def set_state(self, clip_id: str, state: str) -> None:
        if self.states.get(clip_id) != state:
            self.states[clip_id] = state
            self.changed.emit()
            if clip_id in self.shared_ids():
                self.shared_changed.emit()

    def reload(self) -> tasks.TaskHandle | None:
        """Read the library in the background; `changed` fires when the new list is in."""
        loader = self._loader
        if loader is None:
            return None
        return tasks.submit(
            "import",
            lambda _ctx: list(loader()),
            name="load library",
            on_done=self.replace,
            on_failed=lambda exc: self.load_failed.emit(str(exc)),
            owner=self,
        )
