"""How the CLI words the service errors that carry fields: the command or flag that fixes each.

Services say what is wrong (and name it in fields); the app says where to fix it in its windows, the CLI
names its own commands here. The modules are looked up only when already loaded: an error of a kind whose
service never ran cannot be one of them, and a failing command does not import the sync client for this.
"""

from __future__ import annotations

import sys

from studio.core.errors import InvalidInput, StudioError

_PUBLISH_FLAGS = {
    "credits": "studio import FILE --creator NAME[:ROLE]",
    "licence": "studio import FILE --licence CC-BY-4.0",
}


_FLAGS = {
    "at": "--at",
    "source_in": "--in",
    "source_out": "--out",
    "brief": "--brief",
    "due": "--due",
    "length_s": "--length",
    "review_days": "--review-days",
    "creator": "--creator",
    "name": "--name",
}
"""The flag of each service parameter a refused input can be named by (InvalidInput.field)."""

_WHOLE = {
    "move": "move needs --at and/or --track",
    "trim": "trim needs --in and/or --out",
    "trust_both": "give --ca-cert or --pin-certificate, not both",
    "trust_http": "--ca-cert and --pin-certificate are for https:// servers",
}
"""Rules about how flags go together, worded with the flags (InvalidInput.field names the rule)."""


def cli_message(exc: StudioError) -> str:
    """The one-line message `studio` prints for `exc`."""
    if isinstance(exc, InvalidInput) and exc.field is not None:
        if exc.field in _WHOLE:
            return _WHOLE[exc.field]
        if exc.field in _FLAGS:
            return f"{_FLAGS[exc.field]}: {exc.detail}"
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
