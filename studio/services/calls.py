"""Open-calls use-cases for the CLI and the app: post, list, show, answer, accept (which pulls the clip
into the caller's library with its credits)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import InvalidInput
from studio.core.store import Store
from studio.protocol.ids import PUBLIC_SPACE
from studio.services.payouts import piece_id
from studio.services.sync import client_for
from studio.sync import payouts as remote

_CALL_ID = re.compile(r"^[0-9a-f]{32}$")


def _call_id(text: str) -> str:
    text = text.strip().lower()
    if not _CALL_ID.fullmatch(text):
        raise InvalidInput(f"call id {text!r} is not 32 hex digits (as studio calls new prints it)")
    return text


def new_call(
    space: str, brief: str, due: str, length_s: float | None = None, licence: str | None = None
) -> dict[str, Any]:
    if not brief.strip():
        raise InvalidInput(
            "the brief is empty: say what the call is for",
            field="brief",
            detail="say what the call is for (it is empty)",
        )
    due = due.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
        try:
            date.fromisoformat(due)
        except ValueError:
            detail = f"{due!r} is not a calendar date"
            raise InvalidInput(f"the due date {detail}", field="due", detail=detail) from None
    if length_s is not None and length_s <= 0:
        detail = f"must be more than zero seconds, not {length_s}"
        raise InvalidInput(f"the length asked for {detail}", field="length_s", detail=detail)
    with client_for() as client:
        return remote.new_call(client, space.strip(), brief.strip(), due, length_s, licence)


def list_calls(space: str | None = None) -> list[dict[str, Any]]:
    with client_for() as client:
        return remote.calls(client, space)


def show(call_id: str) -> dict[str, Any]:
    with client_for() as client:
        return remote.call(client, _call_id(call_id))


def answer(call_id: str, clip: str, store: Store | None = None) -> dict[str, Any]:
    """Answer with a clip the caller has published (a clip id, or a library clip's id prefix or title)."""
    with client_for() as client:
        return remote.answer_call(client, _call_id(call_id), piece_id(clip, store))


def accept(
    call_id: str,
    clip: str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Accept an answer and bring its clip into the local library with its credits."""
    from studio.services.sync import pull_clip, sync

    clip = clip.strip()
    with client_for() as client:
        accepted = remote.accept_answer(client, _call_id(call_id), clip)
    if accepted["clip_space"] == PUBLIC_SPACE:
        pulled = pull_clip(clip, store=store, progress=progress, cancel=cancel)
    else:
        # A clip of a private space arrives with the space's records; the owner is a member of it.
        sync(store=store, progress=progress, cancel=cancel)
        pulled = _local_clip(clip, store)
    return {**accepted, "pulled": pulled}


def _local_clip(clip: str, store: Store | None) -> dict[str, Any]:
    from studio.core.library import get_record

    opened = store or Store()
    try:
        return get_record(opened, clip).clip.to_dict()
    finally:
        if store is None:
            opened.close()
