"""The Inspector's signature line for a clip: Trusted / signed but untrusted / tampered / revoked /
unsigned, with the signer's account, as `studio credits --verify` says it. The check reads the file and
may fetch the server's root and revocation list, so it runs on the network pool and answers by signal;
a stale answer (the user moved on to another clip) is dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from studio.core.clips import Clip
from studio.ui import tasks
from studio.ui.untrusted import PlainLabel

_TEXT = {
    "trusted": "✓ Signed credits, trusted",
    "untrusted": "⚠ Signed, but not by a server you trust",
    "tampered": "✗ Signed, then changed: the credits cannot be trusted",
    "revoked": "✗ Signed with a certificate its server has revoked",
    "unsigned": "Unsigned credits",
}


def signature_note(signed_by: str, warnings: list[str]) -> str:
    """What an export's status line says about its signature."""
    if signed_by:
        return f"Signed credits: signed by {signed_by}."
    reason = next((w for w in warnings if w.startswith("unsigned: ")), "unsigned")
    return "Unsigned credits (" + reason.removeprefix("unsigned: ") + ")."


def _verify(path: Path, _ctx: tasks.TaskContext) -> dict[str, Any]:
    from studio.services.signing import verify_credits

    return verify_credits(path).to_dict()


def _worth_saying(revocation: dict[str, Any]) -> bool:
    """A trusted line names its revocation check only when it was not a fresh one: not checked at all,
    or against a cached or outdated list."""
    if not revocation.get("note"):
        return False
    fresh = revocation.get("checked") and revocation.get("source") == "server" and not revocation.get("stale")
    return not fresh


class SignatureBadge(PlainLabel):
    """Plain text: the signer's name comes from a certificate in someone else's file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.clip_id = ""
        self.state = ""

    def show_clip(self, clip: Clip) -> tasks.TaskHandle | None:
        """Check `clip`'s file; the text says "checking" until the answer arrives."""
        self.clip_id = clip.id
        self.state = ""
        if clip.path is None or not Path(clip.path).is_file():
            self.setText("Signature: the file is not here")
            return None
        self.setText("Signature: checking…")
        wanted = clip.id
        path = Path(clip.path)
        return tasks.submit(
            "network",
            lambda ctx: _verify(path, ctx),
            name="verify signature",
            on_done=lambda verdict: self._on_verified(wanted, verdict),
            on_failed=lambda exc: self._on_failed(wanted, exc),
            owner=self,
        )

    def _on_verified(self, clip_id: str, verdict: dict[str, Any]) -> None:
        if clip_id != self.clip_id:
            return
        self.state = str(verdict["state"])
        text = _TEXT[self.state]
        if verdict.get("signer"):
            text += f" — signed by {verdict['signer']}"
        if verdict.get("manifests", 0) > 1:
            text += f" ({verdict['manifests']} manifests: its sources' signatures travel inside)"
        revocation = verdict.get("revocation") or {}
        if revocation.get("revoked_at"):
            text += f" (revoked on {revocation['revoked_at']})"
        elif self.state == "trusted" and _worth_saying(revocation):
            text += f"; {revocation['note']}"
        revoked_sources = [i for i in verdict.get("ingredients") or [] if i.get("revoked_at")]
        if revoked_sources:
            names = ", ".join(str(i.get("title") or "untitled") for i in revoked_sources)
            text += f"; sources signed with a revoked certificate: {names}"
        self.setText(text)

    def _on_failed(self, clip_id: str, exc: BaseException) -> None:
        if clip_id == self.clip_id:
            self.state = "error"
            self.setText(f"Signature: cannot be checked ({exc})")
