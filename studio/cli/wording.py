"""How the CLI words the service errors that carry fields: the command or flag that fixes each.

Services say what is wrong (and name it in fields); the app says where to fix it in its windows, the CLI
names its own commands here. The modules are looked up only when already loaded: an error of a kind whose
service never ran cannot be one of them, and a failing command does not import the sync client for this.
"""

from __future__ import annotations

import sys

from studio.core.errors import StudioError

_PUBLISH_FLAGS = {
    "credits": "studio import FILE --creator NAME[:ROLE]",
    "licence": "studio import FILE --licence CC-BY-4.0",
}


def cli_message(exc: StudioError) -> str:
    """The one-line message `studio` prints for `exc`."""
    account = sys.modules.get("studio.services.account")
    if account is not None and isinstance(exc, account.NotLoggedIn):
        return f"{exc}: run studio login URL --user NAME (or studio signup)"
    sync = sys.modules.get("studio.services.sync")
    if sync is not None and isinstance(exc, sync.NotPublishable) and exc.missing in _PUBLISH_FLAGS:
        return f"{exc} ({_PUBLISH_FLAGS[exc.missing]})"
    conflicts = sys.modules.get("studio.services.conflicts")
    if conflicts is not None and isinstance(exc, conflicts.ChangeRefused) and exc.change_id:
        return f"{exc} (studio sync --drop {exc.change_id[:12]} gives it up)"
    client = sys.modules.get("studio.sync.client")
    if client is not None and isinstance(exc, client.UntrustedServer):
        return f"{exc}{_TLS_ADVICE.get(exc.kind, '').format(sha=exc.presented or 'SHA256')}"
    return str(exc)


_TLS_ADVICE = {
    "changed": ". If the server's certificate was replaced on purpose (ask whoever runs it), log in again "
    "with --pin-certificate {sha}",
    "ca": ". If it changed on purpose, log in again with --ca-cert FILE or --pin-certificate {sha}",
    "unknown": ". If that is the server's (studio serve prints it), log in with --pin-certificate {sha}, "
    "or with --ca-cert FILE for the certificate that signed it",
}
