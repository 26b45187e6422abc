"""Spaces on the server as the user manages them: list the ones the account can read, and mark a private
space for commercial work (a brand's space), which makes every member's export of its projects refuse
NonCommercial sources. The listing is remembered in the local store (studio.core.spaces), where exports
read the mark without a network.

SPACE is a space id, a space's exact name, or the name or id of a local project (meaning its space).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from studio.core.errors import InvalidInput, NotFound
from studio.core.spaces import remember_space
from studio.core.store import Store
from studio.protocol import api
from studio.services.sync import _engine
from studio.sync.client import ApiError


def list_spaces(*, store: Store | None = None) -> list[dict[str, Any]]:
    """The spaces the logged-in account can read (the public space first), each with the caller's role
    and whether it is marked for commercial work."""
    with _engine(store, None, None) as engine:
        return [_shown(s) for s in engine.load_spaces()]


def set_commercial(ref: str, commercial: bool, *, store: Store | None = None) -> dict[str, Any]:
    """Mark (or unmark) space `ref` for commercial work; only its owners may. Returns the space."""
    with _engine(store, None, None) as engine:
        spaces = engine.load_spaces()
        space = _find(ref, spaces, engine.store)
        try:
            answer = engine.client.request(
                "PATCH",
                api.SPACE.format(space_id=space["id"]),
                json={"commercial": commercial},
                idempotent=True,
            ).json()
        except ApiError as exc:
            # the server decides: owners only (403 names the caller's role), never the public space (409)
            if exc.status in (403, 409):
                raise InvalidInput(f"space {space['name']!r}: {exc.detail}") from None
            if exc.status == 404:
                raise NotFound(
                    f"space {space['name']!r} is no longer one you can read on the server"
                ) from None
            raise
        with engine.store.write() as conn:
            remember_space(conn, answer)
    return _shown(answer)


def _find(ref: str, spaces: Sequence[dict[str, Any]], store: Store) -> dict[str, Any]:
    """A space by id, by exact name (which must be unique), or by the local project that lives in it."""
    ref = ref.strip()
    if not ref:
        raise InvalidInput("name a space: its id, its name, or a project of it")
    by_id = [s for s in spaces if s["id"] == ref]
    if by_id:
        return by_id[0]
    by_name = [s for s in spaces if s["name"] == ref and s["kind"] != "public"]
    if len(by_name) > 1:
        ids = ", ".join(s["id"] for s in by_name)
        raise InvalidInput(f"{len(by_name)} spaces are named {ref!r} ({ids}): name one by its id")
    if by_name:
        return by_name[0]
    from studio.core.project import find_project

    try:
        project = find_project(store, ref)
    except NotFound:
        raise NotFound(f"no space or project {ref!r} (studio space list shows your spaces)") from None
    if not project.space:
        raise InvalidInput(f"project {project.name!r} is not in a space yet: share or publish it first")
    for space in spaces:
        if space["id"] == project.space:
            return space
    raise NotFound(f"the space of project {project.name!r} ({project.space}) is not one you can read")


def _shown(space: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": space["id"],
        "name": space["name"],
        "kind": space["kind"],
        "role": space.get("role"),
        "commercial": bool(space.get("commercial")),
    }
