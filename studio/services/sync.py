"""Sync use-cases for the CLI and the app: accounts, sync, publish, pull, search, share, conflicts.

Everything local keeps working with no server: these calls are the only ones that need one, and each
says clearly when it cannot reach it. Long calls take a progress callback and a cancel token, and
`sync` feeds a SyncStatusModel (offline / syncing / up to date / conflicts / error) the UI observes.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import edits
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Credit
from studio.core.errors import Cancelled, EditRejected, InvalidInput, NotFound, StudioError
from studio.core.library import clip_to_dict, find_clip, get_record
from studio.core.paths import media_path
from studio.core.project import ProjectSession, find_project
from studio.core.store import Store
from studio.protocol import api
from studio.protocol.ids import PUBLIC_SPACE, claim_media, is_sha256, is_username, public_clip_media
from studio.services.sync_status import SyncStatusModel
from studio.sync import credentials, outbox, records, state
from studio.sync.client import ApiClient, ApiError, NotAuthenticated, OfflineError, SyncError, normalise_url
from studio.sync.engine import SyncEngine, SyncReport, list_conflicts, pending_summary
from studio.sync.outbox import queue_record

SHARE_ROLES = ("editor", "viewer")


class NotLoggedIn(StudioError):
    """No server login on this machine yet."""


@dataclass(frozen=True)
class Login:
    account: credentials.Account
    token: str


@contextmanager
def _opened(store: Store | None) -> Iterator[Store]:
    """The given store, or the default one opened (and closed) for this call."""
    if store is not None:
        yield store
        return
    own = Store()
    try:
        yield own
    finally:
        own.close()


def current_login() -> Login:
    found = credentials.load()
    if found is None:
        raise NotLoggedIn("not logged in to a server: run studio login URL --user NAME (or studio signup)")
    return Login(*found)


def client_for(login: Login | None = None, cancel: CancelToken | None = None) -> ApiClient:
    login = login or current_login()
    return ApiClient(login.account.server, login.token, cancel=cancel)


@contextmanager
def _engine(
    store: Store | None, progress: ProgressCallback | None, cancel: CancelToken | None
) -> Iterator[SyncEngine]:
    from studio.services.people import remember_me

    login = current_login()
    with _opened(store) as opened, client_for(login, cancel) as client:
        try:
            engine = SyncEngine(opened, client, login.account.username, progress=progress, cancel=cancel)
            remember_me(opened, client, login.account)
            yield engine
        except sqlite3.Error as exc:
            raise SyncError(
                f"the local store could not be written ({exc}); what was synced before is kept, "
                "run the sync again once that is fixed"
            ) from exc


# --- accounts -----------------------------------------------------------------------------------------


def _check_credentials(username: str, password: str) -> None:
    if not is_username(username):
        raise InvalidInput(
            f"user name {username!r} must be 2-32 characters: lowercase letters, digits, '.', '_' or '-'"
        )
    if not password:
        raise InvalidInput("the password is empty")


def signup(url: str, username: str, password: str, *, device_name: str | None = None) -> credentials.Account:
    """Create an account on the server at `url` and log this machine in with it."""
    url = normalise_url(url)
    _check_credentials(username, password)
    if len(password) < 8:
        raise InvalidInput("the password must have at least 8 characters")
    with ApiClient(url) as client:
        try:
            client.post_json(api.ACCOUNTS, {"username": username, "password": password})
        except ApiError as exc:
            if exc.status == 409:
                raise InvalidInput(f"the user name {username!r} is taken on {url}") from None
            raise
    return login(url, username, password, device_name=device_name)


def login(url: str, username: str, password: str, *, device_name: str | None = None) -> credentials.Account:
    """Get a token for this device and keep it (OS keyring, else a private file)."""
    url = normalise_url(url)
    _check_credentials(username, password)
    device = device_name or f"studio on {socket.gethostname()}"[:100]
    with Store() as store:
        client_id = store.client_id  # this data folder's op client id, registered for the new device
    with ApiClient(url) as client:
        try:
            grant = client.post_json(
                api.TOKENS,
                {"username": username, "password": password, "device_name": device, "client_id": client_id},
            )
        except NotAuthenticated:
            raise InvalidInput(f"wrong user name or password for {url}") from None
    account = credentials.Account(url, username, grant["device_id"])
    saved = credentials.save(account, grant["token"])
    from studio.services.people import remember_login

    remember_login(saved, str(grant["account"]["id"]))
    return saved


def logout() -> credentials.Account | None:
    """Revoke this device's token on the server (when reachable) and forget it here."""
    found = credentials.load()
    if found is not None:
        account, token = found
        with ApiClient(account.server, token) as client, contextlib.suppress(OfflineError, ApiError):
            client.request("DELETE", api.CURRENT_TOKEN)
    return credentials.clear()


# --- sync ---------------------------------------------------------------------------------------------


def sync(
    store: Store | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    status: SyncStatusModel | None = None,
) -> SyncReport:
    """Push local work, pull everyone else's, fetch wanted media; the status model follows along."""

    def tell(fraction: float, message: str) -> None:
        if status is not None:
            status.syncing(max(0.0, min(1.0, fraction)), message)
        if progress is not None:
            progress(fraction, message)

    try:
        with _engine(store, tell, cancel) as engine:
            tell(0.0, "connecting")
            report = engine.sync()
    except NotLoggedIn:
        if status is not None:
            status.offline("Offline — not logged in")
        raise
    except OfflineError as exc:
        if status is not None:
            status.offline(f"Offline — {exc}")
        raise
    except Cancelled:
        if status is not None:
            status.offline("Sync cancelled")
        raise
    except StudioError as exc:
        if status is not None:
            status.error(str(exc))
        raise
    if status is not None:
        status.conflicts(len(report.conflicts))
    return report


def sync_summary(store: Store | None = None) -> dict[str, Any]:
    """What waits locally, without touching the network (works offline)."""
    found = credentials.load()
    with _opened(store) as opened:
        summary: dict[str, Any] = {**pending_summary(opened), "conflicts": len(list_conflicts(opened))}
    summary["server"] = found[0].server if found else ""
    summary["user"] = found[0].username if found else ""
    return summary


# --- publish ------------------------------------------------------------------------------------------


def _check_publishable(clip: Any) -> None:
    title = clip.title or clip.id[:12]
    if not clip.credits:
        raise InvalidInput(
            f"clip {title!r} credits nobody: add its creators before publishing "
            "(studio import FILE --creator NAME[:ROLE])"
        )
    if not clip.licence:
        raise InvalidInput(
            f"clip {title!r} has no licence: choose one before publishing "
            "(studio import FILE --licence CC-BY-4.0)"
        )


def publish_clip(
    ref: str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Publish a library clip to the public space: its media (resumable upload), credits and licence."""
    with _engine(store, progress, cancel) as engine:
        clip = find_clip(engine.store, ref)
        _check_publishable(clip)
        path = media_path(clip.id)
        if not path.is_file():
            raise NotFound(f"the media of clip {clip.title!r} is not in the library here: pull it first")
        engine.load_spaces()
        from studio.sync.transfer import BlobSource

        engine.upload(PUBLIC_SPACE, [BlobSource(clip.id, path.stat().st_size, path)])
        with engine.store.write() as conn:
            records.claim_published_clip(conn, clip.id, engine.username, PUBLIC_SPACE)
            records.set_home_space(conn, "clip", clip.id, PUBLIC_SPACE)
            queue_record(conn, "clip", clip.id, None, engine.can_push, extra_spaces=[PUBLIC_SPACE])
        engine.push()
        engine.finish()
        with engine.store.read() as conn:
            shadow = state.get_shadow(conn, PUBLIC_SPACE, "clip", clip.id)
        refusal = next((r for r in engine.report.refused if r["kind"] == "clip" and r["id"] == clip.id), None)
        if refusal is not None:
            raise ChangeRefused(
                f"the server refused to publish clip {clip.title or clip.id[:12]!r}: {refusal['detail']} "
                f"({refusal['reason']}); it is kept here "
                f"(studio sync --drop {refusal['change'][:12]} gives it up)"
            )
        claim = _own_claim_id(engine.client, clip.id, engine.username)
    return {
        "clip": clip.id,
        "claim": claim,
        "title": clip.title,
        "space": PUBLIC_SPACE,
        "rev": shadow.rev if shadow else None,
        "uploaded_parts": engine.transfers.parts_sent,
    }


def _own_claim_id(client: ApiClient, media: str, username: str) -> str:
    """The id of the caller's own public claim about `media` (what a publish created or updated)."""
    try:
        record = client.get_json(api.RECORD.format(space_id=PUBLIC_SPACE, kind="clip", record_id=media))
    except ApiError as exc:
        if exc.status in (404, 409):
            return ""
        raise
    return str(record["id"]) if record.get("owner") == username else ""


def publish_file(
    path: Path | str,
    *,
    title: str | None = None,
    creators: Sequence[Credit] = (),
    licence: str | None = None,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Import a media file into the library, then publish it."""
    from studio.services.library import import_files

    with _opened(store) as opened:
        imported = import_files(
            opened, [Path(path)], title=title, creators=creators, licence=licence, cancel=cancel
        )
        return publish_clip(imported[0].clip.id, store=opened, progress=progress, cancel=cancel)


def publish_export(
    path: Path | str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Publish a finished export as a new clip: its embedded credits name the people and its sources
    become the clip's lineage."""
    from studio.services.library import import_files

    with _opened(store) as opened:
        imported = import_files(opened, [Path(path)], cancel=cancel)[0].clip
        if imported.embedded_credits is None or not imported.lineage:
            raise InvalidInput(
                f"{path} carries no studio credits with sources: it is not a studio export "
                "(publish it as a plain file with studio publish FILE)"
            )
        result = publish_clip(imported.id, store=opened, progress=progress, cancel=cancel)
    return {**result, "lineage": list(imported.lineage)}


def share_project(
    name: str,
    user: str,
    role: str = "editor",
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Share a project with `user` as editor or viewer: the project moves into a private space of its
    own (created the first time), its timeline, clips and media go up, and `user` becomes a member.
    This is what `studio project share NAME --with USER [--role editor|viewer]` runs."""
    if role not in SHARE_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(SHARE_ROLES)}, not {role!r}")
    if not is_username(user):
        raise InvalidInput(f"{user!r} is not a user name")
    with _engine(store, progress, cancel) as engine:
        info = find_project(engine.store, name)
        if user == engine.username:
            raise InvalidInput(f"{user} owns this login already: share with someone else")
        engine.load_spaces()
        space = info.space
        if not space:
            created = engine.client.post_json(api.SPACES, {"name": info.name[:200]})
            space = created["id"]
            with engine.store.write() as conn:
                records.set_home_space(conn, "project", info.id, space)
                queue_record(conn, "project", info.id, None, engine.can_push, extra_spaces=[space])
            engine.load_spaces()
        engine.push()
        _upload_project_media(engine, info.id, space)
        try:
            engine.client.request(
                "PUT", api.MEMBER.format(space_id=space, username=user), json={"role": role}
            )
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(f"there is no user {user!r} on {engine.client.base_url}") from None
            if exc.status == 403:
                raise InvalidInput(f"only the owner of {info.name!r} can share it") from None
            raise
        engine.pull_space(space)
        engine.finish()
    return {"project": info.id, "name": info.name, "space": space, "user": user, "role": role}


def publish_project(
    name: str,
    collaborators: Sequence[tuple[str, str]] = (),
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Put a project in a private space of its own with named collaborators ((user, role) pairs)."""
    result: dict[str, Any] = {}
    shared = []
    if not collaborators:
        with _engine(store, progress, cancel) as engine:
            info = find_project(engine.store, name)
            if not info.space:
                created = engine.client.post_json(api.SPACES, {"name": info.name[:200]})
                with engine.store.write() as conn:
                    records.set_home_space(conn, "project", info.id, created["id"])
            engine.load_spaces()
            engine.push()
            space = find_project(engine.store, name).space
            _upload_project_media(engine, info.id, space)
            return {"project": info.id, "name": info.name, "space": space, "members": []}
    for user, role in collaborators:
        result = share_project(name, user, role, store=store, progress=progress, cancel=cancel)
        shared.append({"user": user, "role": role})
    return {**result, "members": shared}


def _upload_project_media(engine: SyncEngine, project_id: str, space: str) -> None:
    """Media of the project's clips, so collaborators can play it (present blobs cost nothing)."""
    from studio.sync.engine import fold
    from studio.sync.transfer import BlobSource

    blobs = []
    for clip_id in sorted(fold(engine.store, project_id).clip_ids()):
        path = media_path(clip_id)
        if is_sha256(clip_id) and path.is_file():
            blobs.append(BlobSource(clip_id, path.stat().st_size, path))
    if blobs:
        engine.upload(space, blobs)


# --- pull and search ------------------------------------------------------------------------------------


def media_of(ref: str) -> str:
    """The clip id (media hash) a reference names: a claim id's file, else the reference itself."""
    return claim_media(ref) or ref


def _claims(client: ApiClient, media: str) -> list[dict[str, Any]]:
    """Every publisher's public record (claim) about a media hash."""
    params = {"media": media, "limit": api.SEARCH_MAX_LIMIT}
    return list(client.get_json(api.SEARCH, params=params)["results"])


def _chosen_claim(claims: list[dict[str, Any]], username: str) -> dict[str, Any] | None:
    """Which claim a hash means: the user's own, else the only one; None when several publishers claim
    it (a stranger who published first must never be picked over the author)."""
    mine = [c for c in claims if c.get("owner") == username]
    if mine:
        return mine[0]
    return claims[0] if len(claims) == 1 else None


def _claims_named(claims: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c['id']} by {c.get('owner', '?')} ({c['doc'].get('title', '')})" for c in claims[:5])


def _find_remote_clip(client: ApiClient, ref: str, username: str) -> dict[str, Any]:
    ref = ref.strip()
    if is_sha256(ref):
        claims = _claims(client, ref)
        if not claims:
            raise NotFound(f"no shared clip {ref[:12]} on {client.base_url}")
        chosen = _chosen_claim(claims, username)
        if chosen is None:
            listed = "".join(
                f"\n  {c['id']}  by {c.get('owner', '?')}: {c['doc'].get('title', '')}" for c in claims
            )
            raise InvalidInput(
                f"{len(claims)} publishers claim media {ref[:12]}; pull the one you mean by its claim id "
                f"(studio pull CLAIM):{listed}"
            )
        return chosen
    if claim_media(ref) is not None:
        try:
            return dict(client.get_json(api.RECORD.format(space_id=PUBLIC_SPACE, kind="clip", record_id=ref)))
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(f"no shared clip {ref} on {client.base_url}") from None
            raise
    results = client.get_json(api.SEARCH, params={"q": ref, "limit": api.SEARCH_MAX_LIMIT})["results"]
    by_prefix = [r for r in results if r["id"].startswith(ref.lower())]
    by_title = [r for r in results if str(r["doc"].get("title", "")).lower() == ref.lower()]
    matches = by_prefix or by_title or results
    if not matches:
        raise NotFound(
            f"no shared clip matches {ref!r}: give the whole clip id (64 hex digits, as studio library "
            "search prints it) or words of its title"
        )
    if len(matches) > 1:
        raise NotFound(f"{ref!r} matches several shared clips: {_claims_named(matches)}; give more of the id")
    return dict(matches[0])


def _entry(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": record["rev"],
        "kind": record["kind"],
        "id": record["id"],
        "change_id": "pull",
        "author": record.get("owner", ""),
        "doc": record["doc"],
        "deleted": record.get("deleted", False),
        "conflicts": record.get("conflicts", []),
    }


def pull_clip(
    ref: str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Pull a shared clip into the local library: its record (credits, licence, lineage), the records of
    its ancestors, and its media (resumable, verified)."""
    with _engine(store, progress, cancel) as engine:
        record = _find_remote_clip(engine.client, ref, engine.username)
        clip_id = public_clip_media(record["id"], record["doc"])
        if clip_id is None:
            raise InvalidInput(f"shared clip {record['id']} names no media hash: it cannot be pulled")
        warnings: list[str] = []
        ancestors = []
        for ancestor in record["doc"].get("lineage", []) or []:
            if not is_sha256(ancestor):
                continue
            claims = _claims(engine.client, ancestor)
            chosen = _chosen_claim(claims, engine.username)
            if chosen is not None:
                ancestors.append(chosen)
            elif claims:
                publishers = ", ".join(str(c.get("owner")) for c in claims)
                warnings.append(
                    f"ancestor {ancestor[:12]} is claimed by {len(claims)} publishers ({publishers}): "
                    "pull the one you trust by its claim id"
                )
            else:
                warnings.append(f"ancestor {ancestor[:12]} is not shared publicly")
        with engine.store.write() as conn:
            for found in [record, *ancestors]:
                engine.apply_entry(conn, PUBLIC_SPACE, _entry(found), requested=True)
            size = record["doc"].get("size")
            state.want_media(conn, clip_id, size if isinstance(size, int) else None)
        path = engine.fetch_one(clip_id, None, progress)
        engine.finish()
        warnings += engine.report.warnings
        stored = get_record(engine.store, clip_id)
    return {
        **clip_to_dict(stored.clip),
        "claim": record["id"],
        "publisher": record.get("owner", ""),
        "path": str(path) if path else None,
        "warnings": warnings,
    }


def pull_project(
    ref: str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Bring shared projects up to date and fetch the media `ref`'s timeline uses."""
    report = sync(store, progress=progress, cancel=cancel)
    with _opened(store) as opened:
        info = find_project(opened, ref)
        if not info.space:
            raise InvalidInput(f"project {info.name!r} is not shared: there is nothing to pull")
    return {"project": info.id, "name": info.name, "space": info.space, "report": report.to_dict()}


def search_library(
    text: str = "",
    *,
    kind: str | None = None,
    licence: str | None = None,
    tag: str | None = None,
    contributor: str | None = None,
    limit: int = 50,
    cancel: CancelToken | None = None,
) -> list[dict[str, Any]]:
    """Search the public library on the server this machine is logged in to."""
    params = {
        "q": text or None,
        "kind": kind,
        "licence": licence,
        "tag": tag,
        "contributor": contributor,
        "limit": max(1, min(limit, api.SEARCH_MAX_LIMIT)),
    }
    found = credentials.load()
    if found is None:
        account = credentials.current_account()
        if account is None:
            raise NotLoggedIn("no server known: run studio login URL --user NAME first")
        client = ApiClient(account.server, cancel=cancel)
    else:
        client = client_for(Login(*found), cancel)
    with client:
        results = client.get_json(api.SEARCH, params={k: v for k, v in params.items() if v is not None})
    return [_search_hit(r) for r in results["results"]]


def _search_hit(record: dict[str, Any]) -> dict[str, Any]:
    doc = record.get("doc", {})
    credits = doc.get("credits") if isinstance(doc.get("credits"), list) else []
    return {
        "id": public_clip_media(record["id"], doc) or record["id"],
        "claim": record["id"],
        "title": doc.get("title", ""),
        "kind": doc.get("kind", ""),
        "licence": doc.get("licence", ""),
        "owner": record.get("owner", ""),
        "publisher": record.get("owner", ""),
        "credits": [_credit_hit(c) for c in credits if isinstance(c, dict)],
        "lineage": doc.get("lineage", []),
        "duration": doc.get("duration"),
        "rev": record.get("rev"),
    }


def _credit_hit(credit: dict[str, Any]) -> dict[str, Any]:
    """Every role of a credit (records keep "roles", older ones only "role"), with the first as "role"."""
    roles = credit.get("roles") or ([credit["role"]] if credit.get("role") else [])
    return {
        "name": credit.get("name"),
        "role": roles[0] if roles else None,
        "roles": list(roles),
        "contributor": credit.get("contributor") or None,
    }


# --- conflicts -------------------------------------------------------------------------------------------


def conflicts(store: Store | None = None) -> list[dict[str, Any]]:
    """Every unresolved conflict (timeline and record), as listed by `studio sync --json`."""
    with _opened(store) as opened:
        return list_conflicts(opened)


def resolve_conflict(
    project: str, conflict_id: str, choice: int | None = None, *, store: Store | None = None
) -> str:
    """Settle a timeline conflict: choose one of its values (index), or for an "overlap:A:B" pair keep
    both items by moving B to a free track. Returns the undo label. The resolution syncs like any edit."""
    with _opened(store) as opened:
        session = ProjectSession(opened, find_project(opened, project))
        if conflict_id.startswith("overlap:"):
            parts = conflict_id.split(":")
            if len(parts) != 3:
                raise InvalidInput(f"{conflict_id!r} is not an overlap id (overlap:ITEM:ITEM)")
            return keep_both(session, parts[1], parts[2])
        label = "Resolve conflict"
        session.apply(label, lambda tl: edits.resolve_conflict(tl, conflict_id, choice))
        return label


def keep_both(session: ProjectSession, first: str, second: str) -> str:
    """Two items placed over each other by concurrent edits: keep both, moving `second` to the lowest
    track of its kind where it fits (a new track when none has room)."""
    label = "Keep both items"
    with session.edit(label) as tx:
        item = edits.get_item(tx.timeline, second)
        edits.get_item(tx.timeline, first)
        kind = tx.timeline.tracks[item.track].kind
        for track in tx.timeline.ordered_tracks(kind):
            if track.id == item.track or track.locked:
                continue
            try:
                tx.do(edits.move_item(tx.timeline, item.id, track_ref=track.id))
                return label
            except EditRejected:
                continue
        ops = edits.add_track(tx.timeline, kind)
        tx.do(ops)
        tx.do(edits.move_item(tx.timeline, item.id, track_ref=ops[0]["id"]))
    return label


def resolve_record_conflict(
    kind: str, record_id: str, field: str, value: Any, *, store: Store | None = None, space: str | None = None
) -> None:
    """Settle a conflict the server keeps on a record: set `field` to `value` (either side's, or a new
    one); the next sync pushes it on the current revision, which clears the conflict."""
    if kind not in records.KINDS:
        raise InvalidInput(f"records of kind {kind!r} are not kept locally")
    with _opened(store) as opened, opened.write() as conn:
        doc, _home, _origin = records.local_doc(conn, kind, record_id)
        if doc is None:
            raise NotFound(f"no {kind} {record_id} here")
        spaces = [space] if space else state.shadow_spaces(conn, kind, record_id)
        shadows = [s for s in (state.get_shadow(conn, sp, kind, record_id) for sp in spaces) if s]
        if not any(c.get("field") == field for s in shadows for c in s.conflicts):
            raise NotFound(f"{kind} {record_id} has no conflict on {field!r}")
        records.write_local(
            conn,
            kind,
            record_id,
            {**doc, field: value},
            space=shadows[0].space,
            owner=shadows[0].owner,
            rev=shadows[0].rev,
            create=False,
        )
        for shadow in shadows:
            outbox.queue_resolution(conn, shadow.space, kind, record_id, shadow.rev, {field: value})


# --- refused changes -------------------------------------------------------------------------------------


class ChangeRefused(StudioError):
    """The server refused a change (it names why); the change is kept locally, listed by `studio sync`."""

    exit_code = 5


def refused_changes(store: Store | None = None) -> list[dict[str, Any]]:
    """Changes the server refused, with its reason (works offline)."""
    with _opened(store) as opened, opened.read() as conn:
        return state.refused_changes(conn)


def _find_refused(conn: sqlite3.Connection, ref: str) -> dict[str, Any]:
    found = [r for r in state.refused_changes(conn) if r["change"] == ref or r["change"].startswith(ref)]
    if not ref or not found:
        raise NotFound(f"no refused change {ref!r} (studio sync lists them)")
    if len(found) > 1:
        raise InvalidInput(f"{ref!r} names {len(found)} refused changes: give more of the id")
    return found[0]


def _take_refused(conn: Any, ref: str) -> dict[str, Any]:
    """The refused change `ref` names, taken off the refused list (in the caller's transaction)."""
    found = _find_refused(conn, ref)
    state.forget_refused(conn, found["space"], found["change"])
    return found


def retry_refused(ref: str, *, store: Store | None = None) -> dict[str, Any]:
    """Put a refused change back in line: the next sync pushes it again (after, say, the owner let you in)."""
    with _opened(store) as opened, opened.write() as conn:
        found = _take_refused(conn, ref)
    return found


def drop_refused(ref: str, *, store: Store | None = None) -> dict[str, Any]:
    """Give up a refused change: it is no longer pushed. The local data keeps the edit (nothing here is
    deleted); a refused project edit stays in this machine's timeline only."""
    with _opened(store) as opened, opened.write() as conn:
        found = _find_refused(conn, ref)
        state.drop_refused_change(conn, found)
    return found
