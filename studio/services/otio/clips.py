"""The clips of an imported timeline: media found from its URL, its id (SHA-256 or the one we wrote),
what it is (our record, a probe, or a guess from the name and track) and the credits it carries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from studio.core.cancel import CancelToken
from studio.core.clips import SHA256_RE, Clip, Credit, decode_clip_field
from studio.core.errors import InvalidInput, MediaError, StudioError
from studio.core.paths import media_path
from studio.core.timeline import AUDIO
from studio.services.otio.common import seconds, studio_metadata, typed_get

_IMAGE_EXT = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx", ".bmp", ".webp", ".gif", ".tga"}


_AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma"}


_VIDEO_EXT = {".mov", ".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mxf", ".mpg", ".mpeg", ".ts", ".mts"}


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _credits_of_block(block: dict[str, Any]) -> tuple[Credit, ...]:
    """The people a studio-credits block names, with their roles (the block is already validated)."""
    people = []
    for person in block["contributors"]:
        if person["name"].strip():
            roles = tuple(r for r in person.get("roles", []) if r) or ("creator",)
            cid = str(person.get("id", ""))
            people.append(Credit(name=person["name"].strip(), roles=roles, contributor_id=cid))
    return tuple(people)


def _lineage_of_block(block: dict[str, Any]) -> tuple[str, ...]:
    """The clips a remix was made from, nearest first, then their own ancestors."""
    seen: list[str] = []
    for source in block.get("sources", []):
        for clip_id in [source.get("clip"), *source.get("via", [])]:
            if isinstance(clip_id, str) and SHA256_RE.match(clip_id) and clip_id not in seen:
                seen.append(clip_id)
    return tuple(seen)


def _url_to_path(url: str, base: Path) -> Path | None:
    """The local file a target_url names: file URLs (file:///x, file://localhost/D%3a/x), plain
    paths (relative ones against the .otio file's folder); None for other schemes or hosts."""
    if _WINDOWS_DRIVE.match(url):
        return Path(url)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None
        text = unquote(parsed.path)
        if re.match(r"^/[A-Za-z]:[\\/]", text):
            text = text[1:]
        return Path(text)
    if parsed.scheme:
        return None
    local = Path(unquote(url))
    return local if local.is_absolute() else base / local


def _kind_from_name(name: str, track_kind: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _IMAGE_EXT:
        return "image"
    if suffix in _AUDIO_EXT:
        return "audio"
    if suffix in _VIDEO_EXT:
        return "video"
    return "audio" if track_kind == AUDIO else "video"


def _credits_from(entries: Any, where: str, warnings: list[str]) -> tuple[Credit, ...]:
    """[{"name", "role"}] (one entry per role, as OTIO metadata carries them) grouped per person."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        warnings.append(f"{where}: studio credits are not a list; ignored")
        return ()
    people: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        try:
            credit = Credit.from_dict(entry)
        except InvalidInput as exc:
            warnings.append(f"{where}: a credit was ignored ({exc})")
            continue
        key = (credit.name, credit.contributor_id)
        person = people.setdefault(key, {"roles": [], "weight": credit.weight})
        person["roles"].extend(r for r in credit.roles if r not in person["roles"])
    return tuple(
        Credit(name=name, roles=tuple(p["roles"]), weight=p["weight"], contributor_id=cid)
        for (name, cid), p in people.items()
    )


_RECORD_FIELDS = (
    *("title", "kind", "owner", "has_video", "has_audio", "lineage", "tags", "embedded_credits"),
    "duration",
)
"""The fields of the clip record our own export writes (writer._clip_metadata) that import takes back."""


class ClipReader:
    """Finds and describes the clips an import uses, once per clip id; `clips` and `offline` are the
    result (offline in first-use order)."""

    def __init__(
        self,
        otio: Any,
        base: Path,
        cancel: CancelToken | None,
        warn: Callable[[str], None],
        warnings: list[str],
    ) -> None:
        self.otio = otio
        self.base = base
        self.cancel = cancel
        self.warn = warn
        self.warnings = warnings
        self.clips: dict[str, Clip] = {}
        self.offline: list[str] = []
        self.probed: set[str] = set()
        self.hashes: dict[Path, str] = {}

    def clip_for(self, oclip: Any, ref: Any, track_kind: str, studio: dict[str, Any], where: str) -> str:
        otio = self.otio
        ref_studio = studio_metadata(ref.metadata) if ref is not None else {}
        url: str | None = None
        path: Path | None = None
        if isinstance(ref, otio.schema.ExternalReference):
            url = ref.target_url
            path = _url_to_path(url, self.base) if url else None
        elif isinstance(ref, otio.schema.ImageSequenceReference):
            url = ref.abstract_target_url("#")
            self.warn(f"{where}: image sequences ({url}) are not supported; the clip is offline")
        claimed = studio.get("clip_id") or ref_studio.get("clip_id")
        exists = path is not None and path.is_file()
        file_id = self.file_id(path, where) if exists and path is not None else None
        exists = file_id is not None
        if isinstance(claimed, str) and SHA256_RE.match(claimed):
            clip_id = claimed
        elif file_id is not None:
            clip_id = file_id
        else:
            key = url or f"otio-missing:{oclip.name}"
            clip_id = hashlib.sha256(key.encode("utf-8")).hexdigest()
        if not exists:
            stored = media_path(clip_id)
            if stored.is_file():
                path, exists = stored, True
        known = self.clips.get(clip_id)
        if known is not None:
            guessed = clip_id not in self.probed and "clip" not in studio
            if guessed and track_kind == AUDIO and not known.has_audio:
                self.clips[clip_id] = replace(known, has_audio=True)
            return clip_id
        clip = self.new_clip(clip_id, oclip, ref, path, exists, track_kind, studio, where)
        self.clips[clip_id] = clip
        if not exists:
            self.offline.append(clip_id)
            self.warn(f"media offline: {url or oclip.name or clip_id} (clip {clip.title!r})")
        return clip_id

    def file_id(self, path: Path, where: str) -> str | None:
        """The SHA-256 of a media file (read once per file), or None with a warning if unreadable."""
        from studio.media.hashing import sha256_file

        if path not in self.hashes:
            try:
                self.hashes[path] = sha256_file(path, cancel=self.cancel)
            except MediaError as exc:
                self.warn(f"{where}: {exc}; the clip is offline")
                return None
        return self.hashes[path]

    def new_clip(
        self,
        clip_id: str,
        oclip: Any,
        ref: Any,
        path: Path | None,
        exists: bool,
        track_kind: str,
        studio: dict[str, Any],
        where: str,
    ) -> Clip:
        record = typed_get(studio, "clip", dict, None)
        credits = _credits_from(studio.get("credits"), where, self.warnings)
        title = oclip.name or (path.stem if path is not None else "") or "untitled"
        kind = _kind_from_name(title if path is None else path.name, track_kind)
        clip = Clip(
            id=clip_id,
            title=title,
            kind=kind,
            duration=None,
            credits=credits,
            licence=typed_get(studio, "licence", str, ""),
            path=path,
        )
        if record is not None:
            clip = self.apply_record(clip, record, where)
        else:
            clip = self.describe_media(clip, ref, exists, track_kind, where)
        if exists and path is not None:
            clip = self.with_embedded_credits(clip, path, studio, where)
        return clip

    def apply_record(self, clip: Clip, record: dict[str, Any], where: str) -> Clip:
        """The clip record our own export wrote; fields that do not check out are left as found."""
        changes: dict[str, Any] = {}
        for key in _RECORD_FIELDS:
            if key not in record or (key == "duration" and record[key] is None):
                continue
            try:
                value = decode_clip_field(key, record[key])
                if key == "duration" and value <= 0:
                    raise ValueError("not positive")
            except (InvalidInput, ValueError):
                self.warn(f"{where}: studio clip {key} ignored ({record[key]!r})")
            else:
                changes[key] = value
        return replace(clip, **changes)

    def describe_media(self, clip: Clip, ref: Any, exists: bool, track_kind: str, where: str) -> Clip:
        """Kind, duration and streams of a clip another tool referenced: probed when the file is
        here, otherwise guessed from its name, the track it sits on and the range the file gives."""
        if exists and clip.path is not None:
            from studio.media.probe import probe

            try:
                info = probe(clip.path)
            except StudioError as exc:
                self.warn(f"{where}: its media cannot be read ({exc})")
            else:
                self.probed.add(clip.id)
                kind = "image" if info.is_image else "video" if info.has_video else "audio"
                return replace(
                    clip,
                    kind=kind,
                    duration=None if info.is_image else info.duration,
                    has_video=info.has_video,
                    has_audio=info.has_audio,
                    probe=info.to_dict(),
                )
        available = getattr(ref, "available_range", None) if ref is not None else None
        duration = seconds(available.duration) if available is not None else None
        return replace(
            clip,
            duration=duration if clip.kind != "image" and duration and duration > 0 else None,
            has_video=clip.kind in ("video", "image"),
            has_audio=clip.kind == "audio" or track_kind == AUDIO,
        )

    def with_embedded_credits(self, clip: Clip, path: Path, studio: dict[str, Any], where: str) -> Clip:
        """A media file that carries a studio-credits block brings its credits along: the block itself,
        and its people and licence where the timeline file names none."""
        from studio.media.tags import read_credits

        try:
            block = read_credits(path)
        except StudioError as exc:
            self.warn(f"{where}: its embedded credits cannot be read ({exc})")
            return clip
        if block is None:
            return clip
        changes: dict[str, Any] = {"embedded_credits": block}
        if "credits" not in studio:
            changes["credits"] = _credits_of_block(block)
        if "clip" not in studio:
            changes["lineage"] = _lineage_of_block(block)
        work = block.get("work", {})
        if "licence" not in studio and isinstance(work.get("licence"), str):
            changes["licence"] = work["licence"]
        return replace(clip, **changes)
