"""C2PA manifests on exports (c2pa-python): signing as the last write, and reading them back.

An export's manifest holds the `studio-credits/1` block as a custom assertion, `c2pa.actions`, and one
ingredient per source clip: `componentOf`, or `parentOf` for a source that carries its own manifest, so
a remix of a signed piece carries that piece's manifest inside its own. MP4, MOV, M4A, MP3, WAV and
FLAC carry the manifest in the file; WebM, Matroska and Ogg, which the C2PA SDK cannot write, get a
detached `<name>.c2pa` beside the file, bound to the file's bytes by a data hash.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core.atomic import fsync_dir
from studio.core.errors import MediaError
from studio.protocol.ids import certificate_serial

CREDITS_LABEL = "org.remixstudio.credits"
EMBEDDED = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
}
DETACHED = {".webm": "video/webm", ".mkv": "video/x-matroska", ".ogg": "audio/ogg", ".opus": "audio/ogg"}
TRUSTED, UNTRUSTED, TAMPERED, UNSIGNED = "trusted", "untrusted", "tampered", "unsigned"
REVOKED = "revoked"
"""Signed by a certificate the trusted root chains to, which its server has since revoked."""
_COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeCapture"


@dataclass(frozen=True)
class Source:
    """A source clip as an ingredient: its title and, when present here, its file."""

    title: str
    path: Path | None


@dataclass
class Verdict:
    """What a check of a file's manifest found."""

    state: str
    signer: str = ""
    issuer: str = ""
    manifests: int = 0
    credits: dict[str, Any] | None = None
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    detached: bool = False
    serial: str = ""
    """The signer certificate's serial, lowercase hex, as the server's CRL and certificate list name it."""
    trust_anchor: str = ""
    """Where the root it was checked against came from (the server, or its cached copy)."""
    revocation: dict[str, Any] = field(default_factory=dict)
    """What the revocation check found (services.signing): `checked`, `revoked_at`, the CRL's dates and
    age, and `note`, one sentence for people."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "signer": self.signer,
            "issuer": self.issuer,
            "serial": self.serial,
            "revocation": self.revocation,
            "trust_anchor": self.trust_anchor,
            "manifests": self.manifests,
            "ingredients": self.ingredients,
            "problems": self.problems,
            "detached": self.detached,
        }


def mime_of(path: Path) -> str | None:
    suffix = Path(path).suffix.lower()
    return EMBEDDED.get(suffix) or DETACHED.get(suffix)


def detached_path(path: Path) -> Path:
    """`piece.webm` -> `piece.webm.c2pa` (the full name, as the credits sidecar, so a WebM and an Ogg
    export of one piece keep their own manifests)."""
    return Path(path).with_name(Path(path).name + ".c2pa")


def sign_file(
    path: Path,
    block: dict[str, Any],
    sources: Sequence[Source],
    *,
    key_pem: str,
    chain_pem: str,
    detached_to: Path | None = None,
) -> Path | None:
    """Sign `path` in place (temp + fsync + rename), or write a detached manifest to `detached_to`
    (default `detached_path(path)`) for a container that cannot hold one; returns that manifest's path."""
    import c2pa

    path = Path(path)
    mime = mime_of(path)
    if mime is None:
        raise MediaError(f"{path}: no C2PA signature for this container")
    signed = [source.path is not None and has_manifest(source.path) for source in sources]
    parent = signed.index(True) if any(signed) else None  # C2PA allows one parentOf
    builder = c2pa.Builder(_manifest(block, mime, parent=parent))
    try:
        for i, source in enumerate(sources):
            _add_ingredient(builder, source, i, parent=i == parent)
        info = c2pa.C2paSignerInfo(
            alg=b"es256",
            sign_cert=chain_pem.encode("ascii"),
            private_key=key_pem.encode("ascii"),
            ta_url=None,
        )
        signer = c2pa.Signer.from_info(info)
        if mime in DETACHED.values():
            builder.set_no_embed()
            target = detached_to or detached_path(path)
            with open(path, "rb") as src, _atomic(target) as out:
                manifest = builder.sign(signer, mime, src, out)
                out.seek(0)
                out.truncate()
                out.write(manifest)
            return target
        with open(path, "rb") as src, _atomic(path) as out:
            builder.sign(signer, mime, src, out)
        return None
    except c2pa.C2paError as exc:
        raise MediaError(f"{path}: C2PA signing failed ({exc})") from exc
    finally:
        builder.close()


def _manifest(block: dict[str, Any], mime: str, *, parent: int | None) -> dict[str, Any]:
    if parent is not None:
        actions = [
            {"action": "c2pa.opened", "parameters": {"ingredientIds": [f"source-{parent}"]}},
            {"action": "c2pa.edited", "softwareAgent": {"name": "Remix Studio", "version": __version__}},
        ]
    else:
        actions = [
            {
                "action": "c2pa.created",
                "digitalSourceType": _COMPOSITE,
                "softwareAgent": {"name": "Remix Studio", "version": __version__},
            }
        ]
    return {
        "claim_generator_info": [{"name": "Remix Studio", "version": __version__}],
        "title": block["work"]["title"] or "Untitled",
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": CREDITS_LABEL, "data": block},
        ],
    }


def _add_ingredient(builder: Any, source: Source, index: int, *, parent: bool) -> None:
    doc = {
        "title": source.title or "Untitled",
        "relationship": "parentOf" if parent else "componentOf",
        "label": f"source-{index}",
    }
    mime = mime_of(source.path) if source.path is not None else None
    if source.path is None or mime is None or not source.path.is_file():
        # offline, or a format the SDK cannot read (an image, a title card): named, not inspected
        builder.add_ingredient({**doc, "format": "application/octet-stream"}, "application/octet-stream",
                               io.BytesIO(b""))
        return
    with open(source.path, "rb") as fh:
        builder.add_ingredient({**doc, "format": mime}, mime, fh)


def has_manifest(path: Path) -> bool:
    """Whether `path` carries (or has beside it) a C2PA manifest."""
    import c2pa

    mime = mime_of(path)
    if mime is None:
        return False
    if mime in DETACHED.values():
        return detached_path(path).is_file()
    try:
        with open(path, "rb") as fh, c2pa.Reader(mime, fh) as reader:
            return bool(reader.json())
    except c2pa.C2paError:
        return False


def verify_file(path: Path, trust_anchors: str | None) -> Verdict:
    """Check `path`'s manifest against `trust_anchors` (PEM roots; None trusts no one)."""
    import c2pa

    path = Path(path)
    mime = mime_of(path)
    if mime is None:
        return Verdict(UNSIGNED, problems=[f"{path.suffix or 'this container'} carries no C2PA manifest"])
    settings: dict[str, Any] = {"verify": {"verify_trust": True}}
    if trust_anchors:
        settings["trust"] = {"trust_anchors": trust_anchors}
    context = c2pa.Context(c2pa.Settings.from_dict(settings))
    detached = mime in DETACHED.values()
    manifest_data = None
    if detached:
        side = detached_path(path)
        if not side.is_file():
            return Verdict(UNSIGNED, problems=[f"no {side.name} beside the file"], detached=True)
        manifest_data = side.read_bytes()
    try:
        with open(path, "rb") as fh, c2pa.Reader(
            mime, fh, manifest_data=manifest_data, context=context
        ) as reader:
            store = json.loads(reader.json())
            state = str(reader.get_validation_state() or "")
            results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in text or "JumbfNotFound" in text:
            return Verdict(UNSIGNED, detached=detached)
        return Verdict(TAMPERED, problems=[f"the manifest cannot be read: {text}"], detached=detached)
    return _verdict(store, state, results, detached)


def _verdict(store: dict[str, Any], state: str, results: dict[str, Any], detached: bool) -> Verdict:
    manifests = store.get("manifests", {})
    active = manifests.get(store.get("active_manifest", ""), {})
    info = active.get("signature_info", {})
    credits = next(
        (a.get("data") for a in active.get("assertions", []) if a.get("label") == CREDITS_LABEL), None
    )
    failures = [
        f"{f.get('code')}: {f.get('explanation', '')}"
        for f in (results.get("activeManifest") or {}).get("failure", [])
    ]
    untrusted_only = all(f.startswith("signingCredential.untrusted") for f in failures)
    if state == "Trusted":
        verdict_state = TRUSTED
    elif failures and not untrusted_only:
        verdict_state = TAMPERED
    else:
        verdict_state = UNTRUSTED
    return Verdict(
        state=verdict_state,
        serial=_serial_hex(info.get("cert_serial_number")),
        signer=str(info.get("common_name") or ""),
        issuer=str(info.get("issuer") or ""),
        manifests=len(manifests),
        credits=credits,
        ingredients=[_ingredient(i, manifests) for i in active.get("ingredients", [])],
        problems=failures,
        detached=detached,
    )


def _ingredient(found: dict[str, Any], manifests: dict[str, Any]) -> dict[str, Any]:
    """One source the manifest names, with who signed the source's own manifest (its serial, so that the
    revocation check can look the source's signer up too)."""
    signed = manifests.get(found.get("active_manifest") or "", {}).get("signature_info", {})
    return {
        "title": found.get("title", ""),
        "relationship": found.get("relationship", ""),
        "signed": bool(found.get("active_manifest")),
        "signer": str(signed.get("common_name") or ""),
        "serial": _serial_hex(signed.get("cert_serial_number")),
    }


def _serial_hex(decimal: object) -> str:
    """The SDK reports the signer certificate's serial as a decimal string; the server names it in hex."""
    text = str(decimal or "")
    return certificate_serial(int(text)) if text.isdigit() else ""


@contextlib.contextmanager
def _atomic(target: Path) -> Any:
    """A temp file beside `target` opened for writing, fsynced and renamed over it on success."""
    temp = target.with_name(f".{target.name}.sign-{secrets.token_hex(4)}")
    try:
        with open(temp, "w+b") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o7777)
        os.replace(temp, target)
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
