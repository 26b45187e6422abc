"""Signed credits: which identity signs an export, the signing step the export pipeline runs last, and
the check `studio credits --verify` and the Inspector run against the server's root.

An export made while logged in is signed with this device's certificate (asked for on first use; the
key is made here and never sent). Without a login, or when no certificate can be had, the export is
unsigned as before and its warnings say so.

A trusted signature is also checked against the server's CRL (fetched, else the cached copy): a
certificate revoked since (its device revoked or logged out, or revoked by serial) makes the verdict
"revoked", with the date, whenever the file was signed: there is no trusted timestamp to tell.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken
from studio.core.clips import Clip
from studio.core.credit_block import utc_stamp
from studio.core.errors import InvalidInput
from studio.media.provenance import (
    REVOKED,
    TAMPERED,
    TRUSTED,
    Source,
    Verdict,
    detached_path,
    mime_of,
    sign_file,
    verify_file,
)
from studio.sync import certificates, credentials
from studio.sync.certificates import (
    CrlRefused,
    RevocationList,
    SigningIdentity,
    cached_root,
    fetch_root,
    load_identity,
    request_identity,
)
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
    if identity is not None and not _revoked_here(identity):
        return identity, ""
    try:
        with ApiClient(account.server, token, cancel=cancel) as client:
            return request_identity(client, account), ""
    except (OfflineError, ApiError) as exc:
        return None, f"unsigned: no signing certificate from {account.server} ({exc})"


def _revoked_here(identity: SigningIdentity) -> bool:
    """Whether the last CRL this computer saw from the identity's server lists its certificate (no
    network: an export offline must not wait). A revoked identity is replaced at the next export."""
    root = cached_root(identity.server)
    if root is None:
        return False
    try:
        known = certificates.cached_crl(identity.server, root)
    except CrlRefused:
        return False
    return known is not None and known.revoked_on(identity.certificate.serial_number) is not None


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
    anchors, origin, _reached = _anchors(cancel)
    return anchors, origin


def _anchors(cancel: CancelToken | None) -> tuple[str | None, str, bool]:
    """trust_anchors, and whether the server answered (an unreachable one is not asked again for its
    revocation list: the cached list answers at once)."""
    with contextlib.suppress(credentials.CredentialsError):
        account = credentials.current_account()
        if account is not None:
            try:
                with ApiClient(account.server, cancel=cancel) as client:
                    return fetch_root(client), account.server, True
            except (OfflineError, ApiError):
                cached = cached_root(account.server)
                if cached is not None:
                    return cached, f"{account.server} (cached, the server is unreachable)", False
    return None, "", True


def verify_credits(path: Path, *, anchors: str | None = None, cancel: CancelToken | None = None) -> Verdict:
    """Trusted / untrusted / tampered / revoked / unsigned for `path`, checked against `anchors` (PEM)
    or, by default, the logged-in server's root (named in the verdict's `trust_anchor`). The credits tag
    the file shows must also be the block the manifest signed, so an edited tag never passes for a
    signed one. A trusted signer is then looked up in the server's revocation list."""
    from studio.core.errors import MediaError
    from studio.media.tags import credits_json, read_credits

    reached = True
    origin = ""
    if anchors is None:
        anchors, origin, reached = _anchors(cancel)
    verdict = verify_file(Path(path), anchors)
    verdict.trust_anchor = origin
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
    if verdict.state == TRUSTED and anchors:
        check_revocation(verdict, anchors, cancel, fetch=reached)
    return verdict


def revocation_list(
    anchors: str, cancel: CancelToken | None = None, *, fetch: bool = True
) -> tuple[RevocationList | None, str]:
    """The logged-in server's CRL checked against `anchors`: fetched (unless `fetch` is false: the
    server just did not answer), else the cached copy; with a note when it is not a fresh one (offline,
    refused) or when there is none at all."""
    try:
        account = credentials.current_account()
    except credentials.CredentialsError as exc:
        return None, f"revocation not checked: the stored login cannot be used ({exc})"
    if account is None:
        return None, "revocation not checked: not logged in to a server"
    why = f"{account.server} cannot be reached"
    if fetch:
        try:
            with ApiClient(account.server, cancel=cancel) as client:
                return certificates.fetch_crl(client, anchors), ""
        except CrlRefused as exc:
            why = f"the revocation list {account.server} sent was refused: {exc}"
        except (OfflineError, ApiError) as exc:
            why = f"{account.server} cannot be reached ({exc})"
    try:
        cached = certificates.cached_crl(account.server, anchors)
    except CrlRefused as exc:
        return None, f"revocation not checked: {why}; the cached list was refused too: {exc}"
    if cached is None:
        return None, f"revocation not checked: {why}, and no revocation list was fetched before"
    return cached, why


def check_revocation(
    verdict: Verdict, anchors: str, cancel: CancelToken | None = None, *, fetch: bool = True
) -> None:
    """Look the trusted signer's serial up in the server's CRL; a listed one turns the verdict revoked.
    The signers of the sources' own manifests are looked up too: a listed one is marked on its source
    (`revoked_at`), since the file's own signature still holds. Without a CRL the verdict stays as it
    was and says that revocation could not be checked."""
    found, why = revocation_list(anchors, cancel, fetch=fetch)
    if found is None or not verdict.serial:
        verdict.revocation = {"checked": False, "note": why or "revocation not checked: no serial"}
        return
    now = datetime.now(UTC)
    age = max(0, int((now - found.fetched_at).total_seconds()))
    stale = found.next_update is not None and found.next_update < now
    revoked = found.revoked_on(int(verdict.serial, 16))
    for ingredient in verdict.ingredients:  # the sources' own signers, named in the manifests they carry
        if ingredient.get("serial"):
            was = found.revoked_on(int(ingredient["serial"], 16))
            ingredient["revoked_at"] = utc_stamp(was) if was is not None else None
    source = f"the list cached {_age_text(age)} ago" if found.cached else "the server's current list"
    note = f"revocation checked against {source} (issued {utc_stamp(found.updated)})"
    if stale:
        note += "; that list is past its next update, so later revocations may be missing"
    if why:
        note += f"; {why}"
    verdict.revocation = {
        "checked": True,
        "revoked_at": utc_stamp(revoked) if revoked is not None else None,
        "source": "cache" if found.cached else "server",
        "crl_updated": utc_stamp(found.updated),
        "crl_next_update": utc_stamp(found.next_update) if found.next_update is not None else None,
        "crl_fetched_at": utc_stamp(found.fetched_at),
        "crl_age_s": age,
        "stale": stale,
        "note": note,
    }
    if revoked is not None:
        verdict.state = REVOKED


def _age_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def account_certificates(cancel: CancelToken | None = None) -> list[dict[str, Any]]:
    """The logged-in account's signing certificates, newest first (NotLoggedIn without a login)."""
    from studio.services.account import client_for

    with client_for(cancel=cancel) as client:
        return certificates.list_certificates(client)


def revoke_certificate(serial: str, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Revoke the account's certificate whose serial is `serial` or starts with it (hex, colons and case
    as printed are fine); returns it as listed before. Names what was wrong: no such certificate of this
    account, or a prefix several share. This device's own identity is dropped when it is the one."""
    wanted = serial.replace(":", "").strip().lower().lstrip("0")
    if not wanted or any(ch not in "0123456789abcdef" for ch in wanted):
        raise InvalidInput(f"serial: {serial!r} is not a hexadecimal certificate serial", field="serial")
    from studio.services.account import client_for, current_login

    login = current_login()
    account = login.account
    with client_for(login, cancel) as client:
        listed = certificates.list_certificates(client)
        matches = [c for c in listed if str(c["serial"]).startswith(wanted)]
        exact = [c for c in matches if c["serial"] == wanted]
        if exact:
            matches = exact
        if not matches:
            raise InvalidInput(
                f"serial: no signing certificate of {account.username} has a serial starting {wanted}",
                field="serial",
            )
        if len(matches) > 1:
            raise InvalidInput(
                f"serial: {wanted} starts {len(matches)} serials; give more of it", field="serial"
            )
        chosen = matches[0]
        certificates.revoke_certificate(client, str(chosen["serial"]))
    with contextlib.suppress(credentials.CredentialsError):
        own = load_identity(account)
        if own is not None and own.serial == chosen["serial"]:
            certificates.forget_identity()
    return chosen

