"""Where the login lives: the server and user in config/account.json, the token in the OS keyring.

Without a usable keyring (none installed, a headless box, or STUDIO_KEYRING=file as tests set) the token
goes to config/token, a file created with mode 0600 so only the user can read it; a token file that others
can read is refused rather than used.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text, fsync_dir
from studio.core.errors import StudioError
from studio.core.paths import config_dir

SERVICE = "remix-studio"
ACCOUNT_FILE = "account.json"
TOKEN_FILE = "token"


class CredentialsError(StudioError):
    """The stored login cannot be used (unsafe permissions, unreadable file, keyring failure)."""


@dataclass(frozen=True)
class Account:
    """Who is logged in where (no secret in here)."""

    server: str
    username: str
    device_id: str = ""
    backend: str = "file"

    @property
    def key(self) -> str:
        return f"{self.server}|{self.username}"


def _keyring() -> Any:
    """The keyring module when a real backend is available and not disabled, else None."""
    if os.environ.get("STUDIO_KEYRING", "").lower() == "file":
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def _write_private(path: Path, text: str) -> None:
    """Write `path` atomically, readable and writable by the owner only from the first byte."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def save(account: Account, token: str) -> Account:
    """Remember the login; returns the account with the backend actually used."""
    folder = config_dir()
    ring = _keyring()
    backend = "file"
    if ring is not None:
        try:
            ring.set_password(SERVICE, account.key, token)
            backend = "keyring"
        except Exception:
            backend = "file"
    if backend == "file":
        _write_private(folder / TOKEN_FILE, json.dumps({"key": account.key, "token": token}))
    stored = Account(account.server, account.username, account.device_id, backend)
    atomic_write_text(folder / ACCOUNT_FILE, json.dumps(asdict(stored), indent=2, sort_keys=True) + "\n")
    return stored


def current_account() -> Account | None:
    path = config_dir() / ACCOUNT_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"cannot read the login in {path}: {exc}") from None
    try:
        return Account(
            str(doc["server"]),
            str(doc["username"]),
            str(doc.get("device_id", "")),
            str(doc.get("backend", "file")),
        )
    except (KeyError, TypeError):
        raise CredentialsError(f"{path} does not describe a login; run studio login again") from None


def load() -> tuple[Account, str] | None:
    """The current login and its token, or None when nobody is logged in."""
    account = current_account()
    if account is None:
        return None
    token = _read_token(account)
    return None if token is None else (account, token)


def _read_token(account: Account) -> str | None:
    if account.backend == "keyring":
        ring = _keyring()
        if ring is None:
            raise CredentialsError(
                "the login was stored in the OS keyring, which is not available now; run studio login again"
            )
        try:
            token = ring.get_password(SERVICE, account.key)
        except Exception as exc:
            raise CredentialsError(f"the OS keyring refused to give the token: {exc}") from None
        return token if isinstance(token, str) else None
    path = config_dir() / TOKEN_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):o}); remove it and log in again"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"cannot read {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("key") != account.key or not isinstance(doc.get("token"), str):
        return None
    return str(doc["token"])


def clear() -> Account | None:
    """Forget the login (token and account); returns what was forgotten."""
    account = current_account()
    folder = config_dir()
    if account is not None and account.backend == "keyring":
        ring = _keyring()
        if ring is not None:
            with contextlib.suppress(Exception):
                ring.delete_password(SERVICE, account.key)
    for name in (TOKEN_FILE, ACCOUNT_FILE):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    return account
