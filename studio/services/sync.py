"""Sync use-cases for the CLI and the app: sync, publish, pull, search, share, conflicts (the account
itself is studio.services.account's; its calls stay importable from here).

Everything local keeps working with no server: these calls are the only ones that need one, and each
says clearly when it cannot reach it. Long calls take a progress callback and a cancel token, and
`sync` feeds a SyncStatusModel (offline / syncing / up to date / conflicts / error) the UI observes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Credit
from studio.core.errors import Cancelled, InvalidInput, NotFound, StudioError
from studio.core.library import find_clip, get_record
from studio.core.paths import media_path
from studio.core.project import find_project
from studio.core.store import Store
from studio.protocol import api
from studio.protocol.ids import PUBLIC_SPACE, claim_media, is_sha256, is_username, public_clip_media
from studio.services.account import Login as Login
from studio.services.account import NotLoggedIn as NotLoggedIn
from studio.services.account import client_for as client_for
from studio.services.account import current_login as current_login
from studio.services.account import login as login
from studio.services.account import logout as logout
from studio.services.account import signup as signup
from studio.services.conflicts import ChangeRefused as ChangeRefused
from studio.services.conflicts import conflicts as conflicts
from studio.services.conflicts import drop_refused as drop_refused
from studio.services.conflicts import keep_both as keep_both
from studio.services.conflicts import refused_changes as refused_changes
from studio.services.conflicts import resolve_conflict as resolve_conflict
from studio.services.conflicts import resolve_record_conflict as resolve_record_conflict
from studio.services.conflicts import retry_refused as retry_refused
from studio.services.local_store import opened as _opened
from studio.services.sync_status import SyncStatusModel
from studio.sync import certificates, credentials, records, state
from studio.sync.client import ApiClient, ApiError, OfflineError, SyncError
from studio.sync.engine import SyncEngine, SyncReport, list_conflicts, pending_summary
from studio.sync.outbox import queue_record

SHARE_ROLES = ("editor", "viewer")


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
            certificates.record_identity(client, login.account)
            yield engine
        except sqlite3.Error as exc:
            raise SyncError(
                f"the local store could not be written ({exc}); what was synced before is kept, "
                "run the sync again once that is fixed"
            ) from exc


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


class NotPublishable(InvalidInput):
    """A clip that lacks what publishing needs; `missing` names it ("credits" or "licence") so each front
    end can say where to add it."""

    def __init__(self, message: str, missing: str) -> None:
        super().__init__(message)
        self.missing = missing


def check_publishable(clip: Any) -> None:
    """Refuse a clip that can never go public (no credits or no licence) before any network or queueing."""
    title = clip.title or clip.id[:12]
    if not clip.credits:
        raise NotPublishable(f"clip {title!r} credits nobody: add its creators before publishing", "credits")
    if not clip.licence:
        raise NotPublishable(f"clip {title!r} has no licence: choose one before publishing", "licence")


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
        check_publishable(clip)
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
                f"({refusal['reason']}); it is kept here",
                change_id=refusal["change"],
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
        **stored.clip.to_dict(),
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
            raise NotLoggedIn("no server known")
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
