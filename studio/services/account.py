"""The account on a server: sign up, log in and out, the login kept on this machine, and trusting a
server's certificate. The app and the CLI reach credentials and the sync client only through here.

The token is kept in the OS keyring where one exists, else in a file only the user can read
(studio.sync.credentials); the server's certificate trust is studio.services.server_trust's.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass

from studio.core.cancel import CancelToken
from studio.core.errors import InvalidInput, StudioError
from studio.core.store import Store
from studio.protocol import api
from studio.protocol.ids import is_username
from studio.services.server_trust import (
    ServerCertificate,
    UnknownCertificate,
    UntrustedServer,
    certificate_of,
    with_trust,
)
from studio.sync import credentials
from studio.sync.client import (
    ALLOW_HTTP_ENV,
    ApiClient,
    ApiError,
    NotAuthenticated,
    OfflineError,
    normalise_url,
)
from studio.sync.credentials import Account, CredentialsError

__all__ = [
    "Account",
    "CredentialsError",
    "Login",
    "NotLoggedIn",
    "OfflineError",
    "ServerCertificate",
    "UnknownCertificate",
    "UntrustedServer",
    "allow_plain_http",
    "certificate_of",
    "client_for",
    "current_account",
    "current_login",
    "login",
    "logout",
    "network_reason",
    "signup",
    "with_trust",
]


class NotLoggedIn(StudioError):
    """No server login on this machine yet (each front end says how to log in: a command, a form)."""

    def __init__(self, message: str = "not logged in to a server") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Login:
    """The kept login: the account and this device's token."""

    account: Account
    token: str


def current_login() -> Login:
    """The kept login, or NotLoggedIn."""
    found = credentials.load()
    if found is None:
        raise NotLoggedIn()
    return Login(*found)


def client_for(login: Login | None = None, cancel: CancelToken | None = None) -> ApiClient:
    """A client of the logged-in server, authenticated as this device."""
    login = login or current_login()
    return ApiClient(login.account.server, login.token, cancel=cancel)


def current_account() -> Account | None:
    """The account this machine is logged in with, if any (no network)."""
    return credentials.current_account()


def allow_plain_http() -> None:
    """Let this process talk plain http:// to a server on another computer (the user asked for it,
    knowing the password travels unencrypted)."""
    os.environ[ALLOW_HTTP_ENV] = "1"


def network_reason(exc: BaseException) -> str:
    """What a person needs from a network failure: the client's own sentence, without the transport's
    details (urllib3's "HTTPConnectionPool(...): Max retries exceeded ..." adds nothing they can act on)."""
    text = str(exc)
    if isinstance(exc, OfflineError):
        return text.split(": ", 1)[0]
    return text


def _check_credentials(username: str, password: str) -> None:
    if not is_username(username):
        raise InvalidInput(
            f"user name {username!r} must be 2-32 characters: lowercase letters, digits, '.', '_' or '-'"
        )
    if not password:
        raise InvalidInput("the password is empty")


def signup(url: str, username: str, password: str, *, device_name: str | None = None) -> Account:
    """Create an account on the server at `url` and log this machine in with it."""
    url = normalise_url(url)
    _check_credentials(username, password)
    if len(password) < 8:
        raise InvalidInput("the password must have at least 8 characters")
    with ApiClient(url) as client:
        try:
            client.post_json(api.ACCOUNTS, {"username": username, "password": password})
        except ApiError as exc:
            if exc.status == 409:
                raise InvalidInput(f"the user name {username!r} is taken on {url}") from None
            raise
    return login(url, username, password, device_name=device_name)


def login(url: str, username: str, password: str, *, device_name: str | None = None) -> Account:
    """Get a token for this device and keep it (OS keyring, else a private file)."""
    url = normalise_url(url)
    _check_credentials(username, password)
    device = device_name or f"studio on {socket.gethostname()}"[:100]
    with Store() as store:
        client_id = store.client_id  # this data folder's op client id, registered for the new device
    with ApiClient(url) as client:
        try:
            grant = client.post_json(
                api.TOKENS,
                {"username": username, "password": password, "device_name": device, "client_id": client_id},
            )
        except NotAuthenticated:
            raise InvalidInput(f"wrong user name or password for {url}") from None
    account = Account(url, username, grant["device_id"])
    saved = credentials.save(account, grant["token"])
    from studio.services.people import remember_login

    remember_login(saved, str(grant["account"]["id"]))
    return saved


def logout() -> Account | None:
    """Revoke this device's token on the server (when reachable) and forget it here."""
    found = credentials.load()
    if found is not None:
        account, token = found
        with ApiClient(account.server, token) as client, contextlib.suppress(OfflineError, ApiError):
            client.request("DELETE", api.CURRENT_TOKEN)
    return credentials.clear()
