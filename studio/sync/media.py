"""Fetching media: the blobs the user asked for and those of clips local projects use; a blob that keeps
arriving corrupt is reported to the server, which re-verifies its copy."""

from __future__ import annotations

from pathlib import Path

from studio.core.cancel import ProgressCallback
from studio.core.paths import media_path
from studio.protocol import api
from studio.sync import state
from studio.sync.base import CLIPS_OF_PROJECT, EngineBase
from studio.sync.client import ApiError
from studio.sync.transfer import BlobCorrupt, download_blob


class MediaFetcher(EngineBase):
    """The download part of a run."""

    # -- media --------------------------------------------------------------------------------------------
    def _report_corrupt(self, sha: str) -> str:
        """Tell the server a blob keeps arriving corrupt, so it re-verifies (and repairs) its copy."""
        try:
            answer = self.client.post_json(api.BLOB_VERIFY.format(sha256=sha), {})
        except ApiError as exc:
            return f"reporting it to the server failed ({exc.detail})"
        return _verify_outcome(str(answer.get("status", "")))

    def fetch_media(self) -> None:
        """Download media the user asked for and media of clips local projects use."""
        with self.store.read() as conn:
            wanted = dict(state.wanted_media(conn))
            missing = {r[0] for r in conn.execute("SELECT id FROM clips WHERE media_present = 0")}
            if missing:
                for (project_id,) in conn.execute("SELECT id FROM projects").fetchall():
                    for (clip_id,) in conn.execute(CLIPS_OF_PROJECT, (project_id,)).fetchall():
                        if clip_id in missing:
                            wanted.setdefault(clip_id, None)
        for index, (sha, size) in enumerate(sorted(wanted.items())):
            self.cancel.raise_if_cancelled()
            low, high = index / len(wanted), (index + 1) / len(wanted)

            def step(fraction: float, _message: str, low: float = low, high: float = high) -> None:
                self._tell(low + (high - low) * fraction, "downloading media")

            self.fetch_one(sha, size, step)

    def fetch_one(self, sha: str, size: int | None, progress: ProgressCallback | None = None) -> Path | None:
        """Download one blob into the media folder; a blob the server will not give is reported, not fatal."""
        dest = media_path(sha)
        if not dest.is_file():
            try:
                download_blob(
                    self.client,
                    sha,
                    dest,
                    size=size,
                    progress=progress,
                    cancel=self.cancel,
                    stats=self.transfers,
                )
            except ApiError as exc:
                if exc.status not in (403, 404):
                    raise
                self.report.warnings.append(f"media {sha[:12]} is not available to you on the server")
                return None
            except BlobCorrupt as exc:
                self.report.warnings.append(f"{exc}; {self._report_corrupt(sha)}")
                return None
            self.report.downloaded_blobs += 1
        with self.store.write() as conn:
            state.media_arrived(conn, sha)
        return dest


def _verify_outcome(status: str) -> str:
    return {
        "quarantined": "the server's copy was damaged and is taken out of service until someone who has "
        "the file uploads it again (publishing it again does)",
        "intact": "the server's copy is intact: the damage happened on the way; the next sync tries again",
    }.get(status, "the server checked its copy a moment ago; the next sync tries again")
