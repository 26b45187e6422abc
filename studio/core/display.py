"""Showing untrusted text (names, titles and messages that came from a server or another person's file)
as it is: control characters and bidirectional overrides are written out as visible escapes, so a name
cannot move the terminal's cursor, change its colours or make the rest of a line read backwards."""

from __future__ import annotations

import unicodedata

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: object) -> str:
    """`text` as one printable line: every control character, line break included, and every bidirectional
    control becomes an escape such as \\x1b or \\u202e; everything else is kept exactly."""
    value = str(text)
    if value.isprintable():
        return value
    out = []
    for char in value:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)
