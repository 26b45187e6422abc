"""What every part of one sync run shares: the report, the run's store, client and user, its progress,
and the space permissions that decide what may be pushed where.

The parts of the engine (studio.sync.push, .pull, .restore, .media) are classes over `EngineBase`;
studio.sync.engine puts them together and runs them in order.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.spaces import remember_spaces
from studio.core.store import Store
from studio.protocol import api
from studio.protocol.ids import PUBLIC_SPACE, WRITER_ROLES
from studio.sync import state
from studio.sync.client import ApiClient
from studio.sync.state import Shadow
from studio.sync.transfer import TransferStats

FAILPOINT_ENV = "STUDIO_SYNC_FAILPOINT"

# The clips a project's timeline uses, from its journal (clip records and media follow shared projects).
CLIPS_OF_PROJECT = (
    "SELECT DISTINCT json_extract(payload, '$.value.clip') FROM ops WHERE project_id = ? "
    "AND json_extract(payload, '$.op') = 'insert' AND json_extract(payload, '$.entity') = 'item'"
)


def failpoint(name: str) -> None:
    """Die right here when STUDIO_SYNC_FAILPOINT names this point (crash tests); otherwise nothing."""
    if os.environ.get(FAILPOINT_ENV) == name:
        sys.stderr.write(f"studio sync: failpoint {name} reached, exiting\n")
        sys.stderr.flush()
        os._exit(75)


@dataclass
class SyncReport:
    """What one sync did and what is left for the user."""

    server: str = ""
    state: str = "up_to_date"
    pushed_changes: int = 0
    pushed_ops: int = 0
    pulled_entries: int = 0
    applied_records: int = 0
    applied_ops: int = 0
    uploaded_blobs: int = 0
    uploaded_parts: int = 0
    downloaded_blobs: int = 0
    requests: int = 0
    reconciled: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EngineBase:
    """One sync run's store, client, user, report and progress, and the pushing rules of each space."""

    def __init__(
        self,
        store: Store,
        client: ApiClient,
        username: str,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.username = username
        self.cancel = cancel or client.cancel
        client.cancel = self.cancel
        self._progress = progress
        self._span = (0.0, 1.0)
        self.report = SyncReport(server=client.base_url)
        self.transfers = TransferStats()
        self._roles: dict[str, str | None] = {}
        self._blocked: set[str] = set()
        self._stale: dict[str, set[tuple[str, str]]] = {}
        self._uploaded: set[tuple[str, str]] = set()
        state.bind(store, client.base_url, username)
        with store.write() as conn:
            # Other publishers' claims live in clip_claims (store migration 6), not under the hash.
            conn.execute(
                "DELETE FROM sync_shadow WHERE space = ? AND kind = 'clip' AND owner NOT IN ('', ?)",
                (PUBLIC_SPACE, username),
            )

    # -- progress ------------------------------------------------------------------------------------------
    def _phase(self, start: float, end: float) -> None:
        self._span = (start, end)
        self._tell(0.0, "")

    def _tell(self, fraction: float, message: str) -> None:
        if self._progress is not None:
            start, end = self._span
            self._progress(start + (end - start) * max(0.0, min(1.0, fraction)), message)

    def _sub(self, message: str) -> Callable[[float, str], None]:
        return lambda fraction, _msg: self._tell(fraction, message)

    # -- spaces and permissions ----------------------------------------------------------------------------
    def load_spaces(self) -> list[dict[str, Any]]:
        spaces = self.client.get_json(api.SPACES)
        self._roles = {s["id"]: s.get("role") for s in spaces}
        with self.store.write() as conn:
            remember_spaces(conn, spaces)  # roles and commercial marks, for exports made offline
        return list(spaces)

    def can_push(self, space: str, kind: str, record_id: str, shadow: Shadow | None) -> bool:
        if space in self._blocked:
            return False
        if space == PUBLIC_SPACE:
            if shadow is not None:
                return shadow.owner in ("", self.username)
            # A public clip is our claim only once we publish it: a clip pulled from another publisher
            # (theirs until then) never goes up as ours by an edit here.
            return kind != "clip" or self._clip_is_ours(record_id)
        if space not in self._roles:
            return True
        return self._roles[space] in WRITER_ROLES

    def _clip_is_ours(self, clip_id: str) -> bool:
        with self.store.read() as conn:
            row = conn.execute("SELECT owner, origin FROM clips WHERE id = ?", (clip_id,)).fetchone()
        return row is None or row[1] != "pulled" or row[0] in ("", self.username)

    def _writable(self, space: str) -> bool:
        return space not in self._blocked and (
            space == PUBLIC_SPACE or self._roles.get(space) in WRITER_ROLES
        )
