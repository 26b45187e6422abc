"""Importing media into the library: hash, probe, copy into the content-addressed media folder,
and record the clip with its credits, licence and lineage.

Every file is probed before anything is copied or recorded, so a batch with one unreadable file
imports nothing and the error names that file. A file that carries a studio-credits block (an
export of a remix) brings its credits, licence and lineage along unless the user gives others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import SHA256_RE, Clip, Credit
from studio.core.errors import InvalidInput
from studio.core.identity import account_of
from studio.core.library import get_record, has_clip, save_clip
from studio.core.spdx import SpdxError, check_spdx
from studio.core.store import Store
from studio.media.hashing import import_into_store
from studio.media.probe import MediaInfo, probe
from studio.media.tags import read_credits
from studio.services.library_listing import LibraryEntry as LibraryEntry  # listing lives apart
from studio.services.library_listing import LibraryState as LibraryState
from studio.services.library_listing import list_library as list_library


@dataclass(frozen=True, slots=True)
class ImportedClip:
    """One imported file: the clip as stored, and whether the library already had those bytes."""

    clip: Clip
    source: Path
    existed: bool


def parse_creator(text: str) -> Credit:
    """ "Ann Lee:camera" -> Ann Lee as camera; "Ann Lee" -> Ann Lee as creator."""
    name, sep, role = text.rpartition(":")
    if not sep:
        name, role = text, ""
    name, role = " ".join(name.split()), role.strip()
    if not name:
        detail = f"{text!r} has no name: give one, as NAME or NAME:ROLE"
        raise InvalidInput(f"the credit {detail}", field="creator", detail=detail)
    return Credit(name=name, roles=(role or "creator",))


def merge_credits(credits: Iterable[Credit]) -> tuple[Credit, ...]:
    """One credit per person, their roles in the order given."""
    people: dict[str, list[str]] = {}
    for credit in credits:
        roles = people.setdefault(credit.name, [])
        roles.extend(r for r in credit.roles if r not in roles)
    return tuple(Credit(name=name, roles=tuple(roles)) for name, roles in people.items())


def check_licence(licence: str) -> str:
    """An SPDX licence id or expression (CC-BY-4.0, MIT OR Apache-2.0), or "" for none."""
    licence = licence.strip()
    if licence:
        try:
            check_spdx(licence)
        except SpdxError as exc:
            raise InvalidInput(
                f"{licence!r} is not an SPDX licence id or expression: {exc} (for example CC-BY-4.0, "
                "CC0-1.0 or MIT OR Apache-2.0)"
            ) from None
    return licence


def _kind(info: MediaInfo) -> str:
    if info.is_image:
        return "image"
    return "video" if info.has_video else "audio"


def _block_credits(block: dict[str, Any]) -> tuple[Credit, ...]:
    people = []
    for person in block.get("contributors", []):
        name = str(person.get("name", "")).strip()
        if name:
            roles = tuple(str(r) for r in person.get("roles", []) if r) or ("creator",)
            # An account keeps its id from file to file; a name-derived id is derived again here.
            given = str(person.get("id") or "")
            people.append(Credit(name=name, roles=roles, contributor_id=given if account_of(given) else ""))
    return tuple(people)


def _lineage(block: dict[str, Any]) -> tuple[str, ...]:
    """The clips a remix was made from, nearest first, then their own ancestors."""
    seen: list[str] = []
    for source in block.get("sources", []):
        for cid in [source.get("clip"), *source.get("via", [])]:
            if isinstance(cid, str) and SHA256_RE.match(cid) and cid not in seen:
                seen.append(cid)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class _Checked:
    path: Path
    info: MediaInfo
    block: dict[str, Any] | None


def import_files(
    store: Store,
    paths: Sequence[Path | str],
    *,
    title: str | None = None,
    creators: Sequence[Credit] = (),
    licence: str | None = None,
    owner: str = "",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[ImportedClip]:
    """Import media files as clips. `title`, `creators` and `licence` apply to every file given;
    left out, they come from the file's embedded credits (if any), else the file name, nobody
    and no licence. Importing bytes the library has changes only what is given explicitly."""
    if not paths:
        raise InvalidInput("no files to import")
    licence = None if licence is None else check_licence(licence)
    credits = merge_credits(creators)
    if credits:
        from studio.services.people import resolve_credits

        resolve_credits(store, credits)
    checked: list[_Checked] = []
    for path in map(Path, paths):
        if cancel is not None:
            cancel.raise_if_cancelled()
        info = probe(path)
        checked.append(_Checked(path, info, read_credits(path)))
    results: list[ImportedClip] = []
    total = len(checked)
    for index, item in enumerate(checked):

        def step(fraction: float, message: str, index: int = index) -> None:
            if progress is not None:
                progress((index + fraction) / total, message)

        sha = import_into_store(item.path, progress=step, cancel=cancel)
        results.append(_record(store, sha, item, title, credits, licence, owner))
    if progress is not None:
        progress(1.0, f"imported {total} file{'s' if total != 1 else ''}")
    return results


def _record(
    store: Store,
    sha: str,
    item: _Checked,
    title: str | None,
    credits: tuple[Credit, ...],
    licence: str | None,
    owner: str,
) -> ImportedClip:
    with store.write():
        if has_clip(store, sha):
            record = get_record(store, sha)
            clip = record.clip
            changes: dict[str, Any] = {}
            if title:
                changes["title"] = title
            if credits:
                changes["credits"] = credits
            if licence is not None:
                changes["licence"] = licence
            stored = save_clip(
                store,
                replace(clip, **changes),
                source_name=record.source_name,
                media_present=True,
                origin=record.origin,
                space=record.space,
            )
            return ImportedClip(stored, item.path, existed=True)
        block = item.block or {}
        work = block.get("work", {}) if isinstance(block.get("work"), dict) else {}
        info = item.info
        clip = Clip(
            id=sha,
            title=title or str(work.get("title") or "") or item.path.stem,
            kind=_kind(info),
            duration=info.duration,
            credits=credits or _block_credits(block),
            licence=licence if licence is not None else str(work.get("licence") or ""),
            owner=owner,
            has_video=info.has_video,
            has_audio=info.has_audio,
            lineage=_lineage(block),
            embedded_credits=item.block,
            probe=info.to_dict(),
        )
        stored = save_clip(store, clip, source_name=item.path.name, media_present=True)
    return ImportedClip(stored, item.path, existed=False)


@dataclass(frozen=True, slots=True)
class RemovedClip:
    clip: Clip
    media_removed: bool  # its file was in the media folder and is gone now


def remove_clip(store: Store, ref: str) -> RemovedClip:
    """Take a clip out of the local library: its record, its queued (unpushed) record change and its
    media file. A clip a project still uses is refused with the projects named, so no timeline loses
    its media; a copy already published stays on the server."""
    from studio.core.library import delete_clip, find_clip
    from studio.core.paths import media_path
    from studio.core.project import ProjectSession, list_projects

    clip = find_clip(store, ref)
    users = [p.name for p in list_projects(store) if clip.id in ProjectSession(store, p).timeline.clip_ids()]
    if users:
        raise InvalidInput(
            f"clip {clip.title!r} is used by the project{'s' if len(users) > 1 else ''} "
            f"{', '.join(repr(u) for u in users)}: remove it from the timeline first"
        )
    delete_clip(store, clip.id)
    path = media_path(clip.id)
    removed = path.is_file()
    path.unlink(missing_ok=True)  # after the commit: a crash in between leaves a harmless orphan file
    return RemovedClip(clip, removed)


def import_with_details(
    store: Store,
    paths: Sequence[Path | str],
    *,
    title: str | None = None,
    creators: Sequence[Credit] = (),
    licence: str | None = None,
    lineage: Sequence[str] = (),
    tags: Sequence[str] = (),
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Clip]:
    """import_files, then the lineage (the given sources first) and tags (added after the clip's own)
    the app's import form collects, saved on each imported clip."""
    imported = import_files(
        store, paths, title=title, creators=creators, licence=licence, progress=progress, cancel=cancel
    )
    clips = []
    for result in imported:
        clip = result.clip
        if lineage or tags:
            merged = replace(
                clip,
                lineage=tuple(dict.fromkeys([*lineage, *clip.lineage])),
                tags=tuple(dict.fromkeys([*clip.tags, *tags])),
            )
            clip = save_clip(store, merged, source_name=result.source.name)
        clips.append(clip)
    return clips


def save_credits(store: Store, clip: Clip) -> Clip:
    """Save a clip's edited credits and licence (the licence checked first)."""
    check_licence(clip.licence)
    return save_clip(store, clip)


def clip_document(clip: Clip) -> dict[str, Any]:
    """The clip's record as JSON (what `studio import --json` prints)."""
    return clip.to_dict()
