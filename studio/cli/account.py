"""`studio signup URL --user U`, `studio login URL --user U` and `studio logout`.

The password comes from a prompt (getpass) or, with --password-stdin, from the first line of standard
input; never from an argument, where other users could read it in the process list. The token is kept
in the OS keyring where one exists, else in a file only the user can read.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import InvalidInput

if TYPE_CHECKING:
    from studio.services.account import Account


def register(subparsers: Any) -> None:
    for name, text in (
        ("signup", "create an account on a server and log in"),
        ("login", "log this computer in to a server"),
    ):
        parser = subparsers.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("url", metavar="URL", help="the server, e.g. http://studio.example:8750")
        parser.add_argument("--user", required=True, metavar="U", help="user name")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )
        parser.add_argument("--device", metavar="NAME", help="name of this device in the device list")
        parser.add_argument(
            "--ca-cert",
            metavar="FILE",
            help="trust the https server's certificate when this PEM file signed it (for a self-signed "
            "server: its own certificate file); kept for every later command",
        )
        parser.add_argument(
            "--pin-certificate",
            metavar="SHA256",
            help="trust exactly the https server certificate with this SHA-256 fingerprint (studio serve "
            "prints it); kept for every later command",
        )
        parser.add_argument(
            "--allow-http",
            action="store_true",
            help="allow a plain http:// server on another computer (the password travels unencrypted)",
        )
        parser.set_defaults(func=_signup if name == "signup" else _login)
    parser = subparsers.add_parser(
        "logout", help="revoke this computer's token and signing certificate, and forget them"
    )
    parser.set_defaults(func=_logout)
    _register_account(subparsers)


def _register_account(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "account",
        help="this account's signing certificates",
        description="This account's signing certificates.",
    )
    commands = parser.add_subparsers(dest="account_command", required=True, metavar="COMMAND")
    listing = commands.add_parser(
        "certificates",
        help="list the signing certificates issued to this account's devices",
        description="List the signing certificates issued to this account's devices: serial prefix, device, "
        "issued, expiry and whether it is revoked.",
    )
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    listing.set_defaults(func=_certificates)
    revoke = commands.add_parser(
        "revoke-certificate",
        help="revoke one of this account's signing certificates (its key was lost or stolen)",
        description="Revoke one of this account's signing certificates: files it signed, before and after, "
        "then verify as revoked.",
    )
    revoke.add_argument(
        "serial", metavar="SERIAL", help="the serial, or a prefix of it as `account certificates` shows"
    )
    revoke.add_argument("--json", action="store_true", help="print the revoked certificate as JSON")
    revoke.set_defaults(func=_revoke_certificate)


def read_password(from_stdin: bool, *, confirm: bool = False) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
    else:
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Password again: ") != password:
            raise InvalidInput("the two passwords differ")
    if not password:
        raise InvalidInput("no password given")
    return password


def _allow_http(args: argparse.Namespace) -> None:
    if args.allow_http:
        from studio.services.account import allow_plain_http

        allow_plain_http()


def _trusted(args: argparse.Namespace, call: Callable[[], Account]) -> Account:
    """Run the login or signup once the server's certificate is trusted as the flags say; at the first
    contact with a server no authority vouches for, a terminal asks whether to pin it."""
    from studio.services.account import with_trust

    interactive = not args.password_stdin and sys.stdin.isatty()
    return with_trust(
        args.url,
        call,
        ca_cert=Path(args.ca_cert) if args.ca_cert else None,
        pin=args.pin_certificate,
        confirm=_confirm_certificate if interactive else None,
    )


def _confirm_certificate(url: str, fingerprint: str) -> bool:
    print(
        f"The server at {url} presents a certificate that no authority this computer trusts has signed\n"
        "(a self-signed server, or someone in the middle of the connection).\n"
        f"  SHA-256 fingerprint: {fingerprint}\n"
        "Compare it with the fingerprint `studio serve` printed on the server.",
        file=sys.stderr,
    )
    answer = input("Trust this certificate for this server from now on? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _signup(args: argparse.Namespace) -> int:
    from studio.services.account import signup

    _allow_http(args)
    password = read_password(args.password_stdin, confirm=True)
    account = _trusted(args, lambda: signup(args.url, args.user, password, device_name=args.device))
    print(
        f"signed up and logged in as {account.username} on {account.server} (token in the {account.backend})"
    )
    return 0


def _login(args: argparse.Namespace) -> int:
    from studio.services.account import login

    _allow_http(args)
    password = read_password(args.password_stdin)
    account = _trusted(args, lambda: login(args.url, args.user, password, device_name=args.device))
    print(f"logged in as {account.username} on {account.server} (token in the {account.backend})")
    return 0


def _logout(_args: argparse.Namespace) -> int:
    from studio.services.account import logout

    account = logout()
    print(f"logged out {account.username} from {account.server}" if account else "not logged in")
    return 0


def _certificates(args: argparse.Namespace) -> int:
    from studio.cli.output import print_json
    from studio.services.credits import sanitize
    from studio.services.signing import account_certificates

    found = account_certificates()
    if args.json:
        print_json(found)
        return 0
    if not found:
        print("no signing certificates yet (an export made while logged in asks for one)")
        return 0
    print(f"{'SERIAL':<16}  {'DEVICE':<20}  {'ISSUED':<20}  {'EXPIRES':<20}  REVOKED")
    for cert in found:
        device = sanitize(cert["device_name"] or cert["device_id"][:8]).replace("\n", " ")[:20]
        if cert["current"]:
            device = (device[:12] + " (this)")[:20]
        revoked = cert["revoked_at"] or "-"
        dates = f"{cert['issued_at']:<20}  {cert['expires_at']:<20}"
        print(f"{cert['serial'][:16]:<16}  {device:<20}  {dates}  {revoked}")
    return 0


def _revoke_certificate(args: argparse.Namespace) -> int:
    from studio.cli.output import print_json
    from studio.services.signing import revoke_certificate

    cert = revoke_certificate(args.serial)
    if args.json:
        print_json(cert)
        return 0
    was = f" (already revoked on {cert['revoked_at']})" if cert["revoked_at"] else ""
    print(f"revoked certificate {cert['serial']}{was}: files it signed now verify as revoked")
    return 0
