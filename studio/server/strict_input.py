"""Checks on raw request input that cost O(bytes) and run before anything is parsed or stored.

A JSON body is judged on its bytes: how many values it can hold, how deeply it nests, whether it carries
NaN or infinite numbers (which strict JSON readers reject, so a stored one poisons every page that
serves it), and whether its text holds control characters (NUL breaks PostgreSQL text; terminal escapes
and bidirectional overrides make a name display as something else). Most of the work is done by bytes
methods and regular expressions in C; a Python loop runs only over brackets, and only after the value
count is known to be within bounds.
"""

from __future__ import annotations

import re
import unicodedata

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[^\[\]{}]+")
_NON_FINITE = re.compile(rb"NaN|Infinity")
_HUGE_NUMBER = re.compile(rb"\d{40,}|[eE][+-]?\d{4,}|[eE]\+?(?:[4-9]\d\d|3[1-9]\d|30[89])")

# Escaped control characters in JSON text: C0 except tab, line feed and carriage return; DEL and C1;
# the bidirectional embeddings, overrides and isolates. (`_escapes` skips a `\\u` that is text.)
_ESCAPED_CONTROL = re.compile(
    rb"\\u(?:00(?:0[0-8bcefBCEF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|202[a-eA-E]|206[6-9])"
)
# The same characters written directly as UTF-8 (raw C0 is already invalid inside JSON strings).
_RAW_CONTROL_UTF8 = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def json_body_problem(body: bytes, max_elements: int, max_depth: int) -> str | None:
    """Why this JSON body is refused, or None. Malformed JSON is left to the parser (it answers 422)."""
    raw_control = (b"\x7f" in body or b"\xc2" in body or b"\xe2" in body) and _RAW_CONTROL_UTF8.search(body)
    if raw_control or _escapes(_ESCAPED_CONTROL, body):
        return "text may not contain control characters (NUL, escapes, bidirectional overrides)"
    if _escapes(_ESCAPED_SURROGATE, body) and _escapes(_ESCAPED_SURROGATE, _SURROGATE_PAIR.sub(b"", body)):
        return "text may not contain unpaired surrogate escapes"
    skeleton = _STRING.sub(b'""', body) if b'"' in body else body
    opened = skeleton.count(b"[") + skeleton.count(b"{")
    values = skeleton.count(b",") + opened + 1
    if values > max_elements:
        return f"the body holds more than {max_elements} JSON values"
    if _NON_FINITE.search(skeleton):
        return "NaN and Infinity are not JSON numbers"
    if _HUGE_NUMBER.search(skeleton):
        return "a number is too large (it would not be finite)"
    if opened > max_depth and _depth(skeleton) > max_depth:
        return f"JSON nested deeper than {max_depth} levels"
    return None


def _escapes(pattern: re.Pattern[bytes], body: bytes) -> bool:
    """Whether `pattern` (a `\\u` escape) occurs as an escape, not as text after an escaped backslash:
    the run of backslashes before it must be even. Bodies without any `\\u` cost one scan in C."""
    if b"\\u" not in body:
        return False
    for match in pattern.finditer(body):
        before = match.start() - 1
        while before >= 0 and body[before] == 0x5C:  # a backslash
            before -= 1
        if (match.start() - 1 - before) % 2 == 0:
            return True
    return False


def _depth(skeleton: bytes) -> int:
    depth = deepest = 0
    for byte in _BRACKETS.sub(b"", skeleton):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def control_character(text: str, allow_breaks: bool = False) -> str | None:
    """The first character of `text` that is a control character (category Cc) or a bidirectional
    embedding, override or isolate, as U+XXXX; None when there is none. Tab and line breaks are allowed
    only with `allow_breaks` (descriptions, not names)."""
    for char in text:
        if char in "\t\n\r" and allow_breaks:
            continue
        if unicodedata.category(char) == "Cc" or "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
            return f"U+{ord(char):04X}"
        if "\ud800" <= char <= "\udfff":
            return f"U+{ord(char):04X}"
    return None
