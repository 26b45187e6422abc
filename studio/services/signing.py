"""Signed credits: which identity signs an export, the signing step the export pipeline runs last, and
the check `studio credits --verify` and the Inspector run against the server's root.

An export made while logged in is signed with this device's certificate (asked for on first use; the
key is made here and never sent). Without a login, or when no certificate can be had, the export is
unsigned as before and its warnings say so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken
from studio.core.clips import Clip
from studio.media.provenance import TAMPERED, Source, Verdict, detached_path, mime_of, sign_file, verify_file
from studio.sync import credentials
from studio.sync.certificates import SigningIdentity, cached_root, fetch_root, load_identity, request_identity
from studio.sync.client import ApiClient, ApiError, OfflineError

AUTO = "auto"
"""Sign with the logged-in account's device certificate, when there is one to be had."""


def identity_for_export(cancel: CancelToken | None = None) -> tuple[SigningIdentity | None, str]:
    """The identity to sign with and, when there is none, the warning that says why."""
    try:
        found = credentials.load()
    except credentials.CredentialsError as exc:
        return None, f"unsigned: the stored login cannot be used ({exc})"
    if found is None:
        return None, "unsigned: not logged in (log in to a server to sign exports with your account)"
    account, token = found
    try:
        identity = load_identity(account)
    except credentials.CredentialsError as exc:
        return None, f"unsigned: {exc}"
    if identity is not None:
        return identity, ""
    try:
        with ApiClient(account.server, token, cancel=cancel) as client:
            return request_identity(client, account), ""
    except (OfflineError, ApiError) as exc:
        return None, f"unsigned: no signing certificate from {account.server} ({exc})"


def resolve(
    signing: SigningIdentity | str | None, cancel: CancelToken | None
) -> tuple[SigningIdentity | None, str]:
    """`signing` as export_timeline takes it: an identity, None (do not sign) or AUTO."""
    if signing == AUTO:
        return identity_for_export(cancel)
    if signing is None or isinstance(signing, SigningIdentity):
        return signing, ""
    raise ValueError(f"signing must be an identity, None or {AUTO!r}")


def sign_export(
    work: Path, output: Path, block: Mapping[str, Any], clips: Mapping[str, Clip], identity: SigningIdentity
) -> Path | None:
    """Sign the finished, tagged export `work` (to be renamed to `output`); the detached manifest, if
    any, is named after `output`. One ingredient per source clip the piece uses directly."""
    sources = []
    for source in block["sources"]:
        if source["via"]:
            continue
        clip = clips.get(source["clip"])
        sources.append(Source(source["title"], clip.path if clip is not None else None))
    from studio.media.tags import verify_embedded

    manifest = sign_file(
        work,
        dict(block),
        sources,
        key_pem=identity.key_pem,
        chain_pem=identity.chain_pem,
        detached_to=detached_path(output),
    )
    verify_embedded(work, dict(block))  # the plain tags must still read exactly as written
    return manifest


def trust_anchors(cancel: CancelToken | None = None) -> tuple[str | None, str]:
    """The logged-in server's root (fetched, else the cached copy) and where it came from."""
    with contextlib.suppress(credentials.CredentialsError):
        account = credentials.current_account()
        if account is not None:
            try:
                with ApiClient(account.server, cancel=cancel) as client:
                    return fetch_root(client), account.server
            except (OfflineError, ApiError):
                cached = cached_root(account.server)
                if cached is not None:
                    return cached, f"{account.server} (cached, the server is unreachable)"
    return None, ""


def verify_credits(path: Path, *, anchors: str | None = None, cancel: CancelToken | None = None) -> Verdict:
    """Trusted / untrusted / tampered / unsigned for `path`, checked against `anchors` (PEM) or, by
    default, the logged-in server's root. The credits tag the file shows must also be the block the
    manifest signed, so an edited tag never passes for a signed one."""
    from studio.core.errors import MediaError
    from studio.media.tags import credits_json, read_credits

    if anchors is None:
        anchors, _ = trust_anchors(cancel)
    verdict = verify_file(Path(path), anchors)
    if verdict.credits is not None and mime_of(Path(path)) is not None:
        try:
            shown = read_credits(Path(path))
        except MediaError as exc:
            shown, problem = None, str(exc)
        else:
            problem = "the credits in the file's tags differ from the signed ones"
        if shown is None or credits_json(shown) != credits_json(verdict.credits):
            verdict.state = TAMPERED
            verdict.problems.append(problem)
    return verdict
