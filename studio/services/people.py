"""Who a credit names: a person with an account is that account in every credit.

A credit `@user` (or the logged-in user's own name) gets the contributor id of that account on the server
(`studio.core.identity.account_contributor_id`), the same on every machine, in every clip and export. The
server resolves user names once; the local store keeps what it resolved (`known_accounts`), so crediting a
known account works offline. People known only by name keep their name-derived id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from studio.core.clips import Credit
from studio.core.errors import InvalidInput
from studio.core.identity import account_of, normal_name
from studio.core.library import (
    account_credit_id,
    known_account,
    knows_me_as,
    list_clips,
    remember_account,
    save_clip,
)
from studio.core.store import Store
from studio.protocol import api, refusals
from studio.protocol.ids import is_username
from studio.services.account import NotLoggedIn
from studio.sync import credentials, state
from studio.sync.client import ApiClient, ApiError, OfflineError


def named_account(name: str) -> str | None:
    """The user name a credit names with `@user`, else None."""
    plain = normal_name(name)
    return plain[1:].lower() if plain.startswith("@") else None


def resolve_credits(store: Store, credits: Sequence[Credit]) -> None:
    """Make sure every account the credits name (`@user`) is known here, so saving them gives the account's
    contributor id. An `@user` this machine has not resolved yet is asked of the server; one it cannot
    resolve stops here, before anything is written, saying what was wrong."""
    wanted = [u for u in dict.fromkeys(named_account(c.name) for c in credits) if u is not None]
    for username in wanted:
        if not is_username(username):
            raise InvalidInput(
                f"@{username} is not a user name (2-32 lowercase letters, digits, '.', '_', '-')"
            )
    unknown = [u for u in wanted if known_account(store, u) is None]
    if unknown:
        _resolve(store, unknown)


def _resolve(store: Store, usernames: Iterable[str]) -> None:
    from studio.services.sync import client_for, current_login

    names = list(usernames)
    try:
        login = current_login()
    except Exception:
        raise NotLoggedIn(
            f"crediting @{names[0]} needs a login to the server that knows that account (log in first, "
            "or credit the name without @)"
        ) from None
    try:
        with client_for(login) as client:
            remember_me(store, client, login.account)
            for username in names:
                try:
                    found = client.get_json(api.ACCOUNT.format(username=username))
                except ApiError as exc:
                    if exc.status == 404:
                        raise InvalidInput(
                            f"there is no account @{username} on {login.account.server}"
                        ) from None
                    raise
                remember_account(store, username, str(found["id"]), login.account.server)
    except OfflineError as exc:
        raise InvalidInput(
            f"cannot check who @{names[0]} is: {exc}; credit them once the server is reachable"
        ) from None
    adopt_account_ids(store)


def remember_me(store: Store, client: ApiClient, account: credentials.Account) -> None:
    """Know the logged-in account's id (older logins did not keep it), so the user's own name is credited
    as the account."""
    if not knows_me_as(store, account.username):
        me = client.get_json(api.ME)
        remember_account(store, account.username, str(me["id"]), account.server, me=True)
        adopt_account_ids(store)


def remember_login(account: credentials.Account, account_id: str) -> None:
    """At login: this machine's user is that account in credits from now on (their earlier credits by
    their own name follow)."""
    store = Store()
    try:
        remember_account(store, account.username, account_id, account.server, me=True)
        adopt_account_ids(store)
        # The login registered this folder's op client id for the new device: edits refused for want of
        # a registered device go up again.
        with store.write() as conn:
            state.forget_refusals(conn, refusals.UNREGISTERED_CLIENT)
    finally:
        store.close()


def adopt_account_ids(store: Store) -> int:
    """Clips made here that credit a now-known account by name (`@user`, or the user's own name) switch
    to the account's id, so that person ends up with one id; the changes are queued for sync. Returns how
    many clips changed. Clips pulled from others are theirs to change."""
    changed = 0
    for record in list_clips(store):
        if record.origin != "local":
            continue
        with store.read() as conn:
            stale = any(
                account_credit_id(conn, c.name) not in ("", c.contributor_id)
                and not account_of(c.contributor_id)
                for c in record.clip.credits
            )
        if stale:
            save_clip(
                store,
                record.clip,
                source_name=record.source_name,
                media_present=record.media_present,
                origin=record.origin,
                space=record.space,
            )
            changed += 1
    return changed
