"""Entry point: `studio` opens the app, `studio <command>` runs one headless job.

Commands are discovered from the modules of this package that define register(subparsers),
so each command lives in a module of its own.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from studio import __version__
from studio.cli.output import escaped_output
from studio.cli.wording import cli_message
from studio.core.errors import StudioError

_NOT_COMMANDS = {"main", "output"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Remix Studio: remix contributed clips and export pieces that carry their credits.",
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("studio.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _NOT_COMMANDS:
            continue
        module = importlib.import_module(f"studio.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        if args.command is None:
            return _open_app()
        parser.parse_args([args.command, "--help"])
        return 2
    with escaped_output():
        try:
            code = func(args)
            sys.stdout.flush()  # a reader that went away (`| head`) is met here, not at interpreter exit
        except BrokenPipeError:
            _drop_stdout()
            return 141  # as a process killed by SIGPIPE, which is how shells expect `cmd | head` to end
        except StudioError as exc:
            print(f"studio: error: {cli_message(exc)}", file=sys.stderr)
            return exc.exit_code
        except OSError as exc:  # a file the user named cannot be read or written: one line, no traceback
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"studio: error: {where}{exc.strerror or exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("studio: cancelled", file=sys.stderr)
            return 130
    return int(code or 0)


def _drop_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush has nowhere to fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _open_app() -> int:
    try:
        from studio.ui.app import run_app
    except ImportError as exc:
        print(f"studio: error: the desktop app is not available here ({exc})", file=sys.stderr)
        return 2
    return run_app(sys.argv[:1])


if __name__ == "__main__":
    sys.exit(main())
