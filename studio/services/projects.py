"""Project use-cases shared by the CLI and the app: create, open by name or id, edit, undo, show,
and .otio import/export.

Each edit is one ProjectSession edit: checked against the caught-up timeline and journaled in one
store transaction, so several processes can edit one project at once and a crash loses nothing
acknowledged. Times are given as text (decimals or exact fractions) or Fractions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core import edits, gestures
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip
from studio.core.edits import format_seconds
from studio.core.edits.lookup import check_unlocked
from studio.core.errors import InvalidInput, NotFound
from studio.core.library import find_clip, get_clip, get_record, has_clip, save_clip
from studio.core.ops import Op, insert, set_settings
from studio.core.project import ProjectInfo, ProjectSession, create_project, find_project, list_projects
from studio.core.store import Store
from studio.core.timecode import ZERO, parse_time
from studio.core.timeline import AUDIO, SETTINGS, VIDEO, Item, Timeline, Track

TimeArg = str | Fraction | None


def open_store(path: Path | None = None) -> Store:
    """The local store (the data folder's studio.db unless `path` is given)."""
    return Store(path)


TIME_FIELDS = {"at": "the time on the timeline", "source_in": "the in point", "source_out": "the out point"}
"""The time parameters of the project use cases, named in plain words for their errors."""


def parse_seconds(value: TimeArg, field: str) -> Fraction | None:
    """A time argument (`field` is one of TIME_FIELDS): None stays None; text must be seconds (1.5,
    3/2) and not negative."""
    if value is None or isinstance(value, Fraction):
        return value
    try:
        t = parse_time(value)
    except ValueError as exc:
        raise InvalidInput(f"{TIME_FIELDS[field]}: {exc}", field=field, detail=str(exc)) from None
    if t < 0:
        detail = f"{value!r} is negative"
        raise InvalidInput(f"{TIME_FIELDS[field]}: {detail}", field=field, detail=detail)
    return t


def create_session(store: Store, name: str) -> ProjectSession:
    """A new project with the default tracks (V1, V2, A1, A2) journaled as its first undo step, the
    same whether the app or `studio project new` makes it."""
    session = ProjectSession(store, create_project(store, name))
    with session.edit("New project") as tx:
        gestures.default_tracks(tx)
    return session


def new_project(store: Store, name: str) -> ProjectInfo:
    return create_session(store, name).info


def open_project(store: Store, ref: str) -> ProjectSession:
    """A session on the project named `ref` (or with that id / id prefix)."""
    return ProjectSession(store, find_project(store, ref))


def is_project(store: Store, ref: str) -> bool:
    """Whether `ref` names a project here (by name, id or id prefix)."""
    try:
        find_project(store, ref)
    except NotFound:
        return False
    return True


def project_names(store: Store) -> list[str]:
    return [p.name for p in list_projects(store)]


def open_last_project(store: Store, last: str, default_name: str) -> ProjectSession:
    """The project used last (else the first one, else a new one named `default_name`)."""
    names = project_names(store)
    if not names:
        return create_session(store, default_name)
    return open_project(store, last if last in names else names[0])


def clip_lookup(store: Store) -> Callable[[str], Clip | None]:
    """Find a library clip by id (None when the library does not have it)."""

    def lookup(clip_id: str) -> Clip | None:
        return get_clip(store, clip_id) if has_clip(store, clip_id) else None

    return lookup


# --- edits ----------------------------------------------------------------------------------------


def _track_for(tx_timeline: Timeline, clip: Clip, track: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The track to put `clip` on, and the ops creating it when it does not exist yet.

    A named V<n>/A<n> track that is missing is created; with no name, the lowest track of the
    clip's kind (sound-only clips: audio, else video) is used, or V1/A1 made.
    """
    if track is not None:
        if tx_timeline.track_by_name(track) is not None:
            return track, []
        kind = edits.track_kind_for_name(track)
        if kind is None:
            edits.find_track(tx_timeline, track)  # raises NotFound listing the tracks
        assert kind is not None
        return track, edits.add_track(tx_timeline, kind, track)
    kind = AUDIO if clip.kind == "audio" else VIDEO
    existing = tx_timeline.ordered_tracks(kind)
    if existing:
        return existing[0].name, []
    name = edits.next_track_name(tx_timeline, kind)
    return name, edits.add_track(tx_timeline, kind, name)


def add_clip(
    session: ProjectSession,
    clip_ref: str,
    *,
    track: str | None = None,
    at: TimeArg = None,
    source_in: TimeArg = None,
    source_out: TimeArg = None,
) -> Item:
    """Place a library clip (id, id prefix or title) as a drop in the app places it (core.gestures): a
    clip with picture and sound lands as a linked pair, picture on a video track and sound on an audio
    track, at one time with one in and out point. `track` is the track dropped on (made if missing;
    default the lowest of the clip's kind); the other half goes to the lowest unlocked track of its kind,
    made when there is none. `at` is kept exactly (an overlap is refused) and defaults to the end of
    those tracks. Returns the picture's item (the only item of a picture-only or sound-only clip)."""
    clip = find_clip(session.store, clip_ref)
    at_t = parse_seconds(at, "at")
    in_t = parse_seconds(source_in, "source_in")
    out_t = parse_seconds(source_out, "source_out")
    with session.edit("Add clip") as tx:
        name, track_ops = _track_for(tx.timeline, clip, track)
        tx.do(track_ops)
        target = edits.find_track(tx.timeline, name)
        if track is not None:  # the track named is the one the clip (or its picture) goes on
            check_unlocked(target)
            edits.check_clip_fits_track(clip, target)
        tx.do(_partner_track(tx.timeline, clip, target))
        if at_t is None:
            landing = gestures.landing_tracks(tx.timeline, clip, target.id)
            at_t = max(edits.track_end(tx.timeline, t) for t in landing)
        ids = gestures.place_clip(tx, clip, target.id, at_t, source_in=in_t, source_out=out_t, exact=True)
    return session.timeline.items[ids[0]]


def _partner_track(tl: Timeline, clip: Clip, target: Track) -> list[Op]:
    """The ops making a track for the other half of a picture+sound clip when none of its kind is
    unlocked (a drop in the app always finds the default tracks)."""
    if not (clip.has_video and clip.has_audio):
        return []
    kind = AUDIO if target.kind == VIDEO else VIDEO
    if any(not t.locked for t in tl.ordered_tracks(kind)):
        return []
    return edits.add_track(tl, kind, edits.next_track_name(tl, kind))


def find_item(session: ProjectSession, ref: str) -> Item:
    return edits.find_item(session.timeline, ref)


def move_item(
    session: ProjectSession, item_ref: str, *, at: TimeArg = None, track: str | None = None
) -> Item:
    """Move an item to `at` and/or onto `track`. Its linked picture or sound moves by the same
    time and stays on its own track, as a drag in the app moves the pair."""
    at_t = parse_seconds(at, "at")
    if at_t is None and track is None:
        raise InvalidInput("a move needs a time on the timeline, a track or both", field="move")
    with session.edit("Move clip") as tx:
        item = edits.find_item(tx.timeline, item_ref)
        delta = ZERO if at_t is None else at_t - item.start
        ids = [i.id for i in gestures.linked_items(tx.timeline, item.id)]
        track_for = {} if track is None else {item.id: track}
        gestures.move(tx, ids, delta, track_for)
    return session.timeline.items[item.id]


def trim_item(
    session: ProjectSession, item_ref: str, *, source_in: TimeArg = None, source_out: TimeArg = None
) -> Item:
    """Change an item's in and/or out point. A linked partner whose edge is where the item's edge was
    follows it, as when its edge is dragged in the app (the clip's length bounds the trim)."""
    in_t = parse_seconds(source_in, "source_in")
    out_t = parse_seconds(source_out, "source_out")
    if in_t is None and out_t is None:
        raise InvalidInput("a trim needs an in point, an out point or both", field="trim")
    lookup = clip_lookup(session.store)
    with session.edit("Trim clip") as tx:
        item = edits.find_item(tx.timeline, item_ref)
        if in_t is not None:
            gestures.trim(tx, item.id, "start", item.start + in_t - item.source_in, lookup)
        if out_t is not None:
            now = tx.timeline.items[item.id]
            gestures.trim(tx, item.id, "end", now.start + out_t - now.source_in, lookup)
    return session.timeline.items[item.id]


def remove_item(session: ProjectSession, item_ref: str) -> str:
    """Remove an item and its linked picture or sound, as deleting it in the app does."""
    with session.edit("Remove clip") as tx:
        item = edits.find_item(tx.timeline, item_ref)
        gestures.delete(tx, [i.id for i in gestures.linked_items(tx.timeline, item.id)])
    return item.id


def undo(session: ProjectSession) -> str:
    return session.undo()


def redo(session: ProjectSession) -> str:
    return session.redo()


# --- show -----------------------------------------------------------------------------------------


def describe(session: ProjectSession) -> dict[str, Any]:
    """The project as `studio project show --json` prints it (times as exact seconds text)."""
    tl = session.timeline
    tracks = tl.ordered_tracks()
    names = {t.id: t.name for t in tracks}
    titles: dict[str, str] = {}
    for cid in tl.clip_ids():
        if has_clip(session.store, cid):
            titles[cid] = get_clip(session.store, cid).title
    items = []
    for item in tl.iter_items():
        items.append(
            {
                "id": item.id,
                "kind": item.kind,
                "clip": item.clip,
                "title": titles.get(item.clip or "", "") if item.kind == "clip" else item.text,
                "track": names.get(item.track, item.track),
                "at": format_seconds(item.start),
                "in": format_seconds(item.source_in),
                "out": format_seconds(item.source_out),
                "duration": format_seconds(item.duration),
                "gain_db": item.gain_db,
                "muted": item.muted,
                "linked": [i.id for i in gestures.linked_items(tl, item.id)[1:]],
            }
        )
    return {
        "id": session.id,
        "name": session.name,
        "duration": format_seconds(tl.duration),
        "start_time": format_seconds(tl.start_time),
        "tracks": [
            {"id": t.id, "name": t.name, "kind": t.kind, "muted": t.muted, "locked": t.locked} for t in tracks
        ],
        "items": items,
        "markers": [
            {
                "id": m.id,
                "at": format_seconds(m.at),
                "duration": format_seconds(m.duration),
                "note": m.note,
                "author": m.author,
                "done": m.done,
                "colour": m.colour,
            }
            for m in sorted(tl.markers.values(), key=lambda m: (m.at, m.id))
        ],
        "conflicts": [c.to_dict() for c in sorted(tl.conflicts.values(), key=lambda c: c.id)],
        "overlaps": [[a.id, b.id] for a, b in tl.overlaps()],
        "undo": session.undo_label,
        "redo": session.redo_label,
    }


# --- sharing ------------------------------------------------------------------------------------


# --- interchange ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedProject:
    session: ProjectSession
    offline: list[str]
    warnings: list[str]


def import_timeline(
    store: Store,
    path: Path,
    *,
    name: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportedProject:
    """A new project from an .otio file: its clips join the library (media copied in when found)
    and its timeline becomes the project's first undo step."""
    from studio.media.hashing import import_into_store
    from studio.services.otio import import_otio

    path = Path(path)
    imported = import_otio(path, progress=progress, cancel=cancel)
    project_name = name or imported.timeline.name or path.stem
    try:
        find_project(store, project_name)
    except NotFound:
        pass
    else:
        taken = f"there is already a project named {project_name!r}"
        raise InvalidInput(
            f"{taken}: give the new one another name", field="name", detail=f"{taken}: give another"
        )
    warnings = list(imported.warnings)
    present: dict[str, bool] = {}
    for clip in imported.clips.values():
        present[clip.id] = False
        if clip.id in imported.offline or clip.path is None or not clip.path.is_file():
            continue
        sha = import_into_store(clip.path, cancel=cancel)
        if sha == clip.id:
            present[clip.id] = True
        else:
            warnings.append(
                f"{clip.path} no longer matches clip {clip.id[:12]} named in the file; not copied"
            )
    with store.write():
        for clip in imported.clips.values():
            if has_clip(store, clip.id):
                record = get_record(store, clip.id)
                if present[clip.id] and not record.media_present:
                    save_clip(
                        store,
                        record.clip,
                        source_name=record.source_name,
                        media_present=True,
                        origin=record.origin,
                        space=record.space,
                    )
                continue
            source_name = clip.path.name if clip.path is not None else ""
            save_clip(store, clip, source_name=source_name, media_present=present[clip.id])
        info = create_project(store, project_name)
        session = ProjectSession(store, info)
        with session.edit(f"Import {path.name}") as tx:
            _load_timeline(tx.timeline, imported.timeline, tx.do)
    return ImportedProject(session, list(imported.offline), warnings)


def _load_timeline(current: Timeline, source: Timeline, do: Callable[[Iterable[Op]], None]) -> None:
    changed = {k: v for k, v in source.settings.items() if k in SETTINGS and current.settings.get(k) != v}
    if changed:
        do([set_settings(current, **changed)])
    do([insert(t) for t in source.ordered_tracks()])
    do([insert(i) for i in source.iter_items()])
    do([insert(m) for m in source.markers.values()])


def export_timeline(
    session: ProjectSession,
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    force: bool = False,
) -> list[str]:
    """Write the project as .otio (atomically); returns warnings for what the file cannot hold.

    Refuses a path in the data folder, a read-only file and, without `force`, a file that is not OTIO."""
    from studio.media.output_guard import OTIO, check_output
    from studio.services.otio import export_otio

    check_output(Path(path), writes=OTIO, force=force)
    snapshot = session.snapshot()
    clips = {cid: get_clip(session.store, cid) for cid in snapshot.clip_ids() if has_clip(session.store, cid)}
    return export_otio(snapshot, clips, Path(path), progress=progress, cancel=cancel)
