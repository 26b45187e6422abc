"""Shared CLI output: one JSON document on stdout for --json, a progress bar on a terminal."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

from studio.core.display import shown


def print_json(doc: Any) -> None:
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


class ProgressBar:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and fraction < 1.0:
            return
        self._last = now
        width = 30
        filled = int(max(0.0, min(1.0, fraction)) * width)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {fraction * 100:5.1f}% {message[:40]:<40}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


class EscapingStream:
    """A text stream that shows control characters and bidirectional overrides as escapes (core.display),
    keeping the line breaks (and, on stderr, the carriage return of the progress bar) that the CLI writes
    itself. Everything the CLI prints may hold names and messages from other people or a server; none of
    it can drive the terminal. In JSON output a bidirectional control becomes a \\uXXXX escape, which
    is the same JSON string."""

    def __init__(self, stream: TextIO, keep: str = "\n\t") -> None:
        self._stream = stream
        self._pattern = re.compile(
            "|".join(_UNSAFE) if not keep else f"(?![{re.escape(keep)}])(?:{'|'.join(_UNSAFE)})"
        )

    def write(self, text: str) -> int:
        return self._stream.write(self._pattern.sub(lambda m: shown(m.group()), text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_UNSAFE = ("[\x00-\x1f\x7f-\x9f]", "[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", "[\ud800-\udfff]")


@contextlib.contextmanager
def escaped_output() -> Iterator[None]:
    """Route stdout and stderr through EscapingStream for the duration of one command."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = EscapingStream(out)
    sys.stderr = EscapingStream(err, keep="\n\t\r")
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
