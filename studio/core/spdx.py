"""SPDX licence expressions (SPDX 2.3, annex D): the one grammar a licence is checked against, whether a user
typed it or a file carried it.

    expression := and-expr ("OR" and-expr)*
    and-expr   := term ("AND" term)*
    term       := "(" expression ")" | simple ["WITH" exception-id]
    simple     := licence-id ["+"] | ["DocumentRef-" idstring ":"] "LicenseRef-" idstring
    idstring   := 1*(letter | digit | "-" | ".")

Operators are upper case (SPDX matches them case-sensitively, and "mit and x" is a typo more often than an
expression); tokens are separated by spaces, parentheses need none. Identifiers are not looked up in the SPDX
list: a licence this studio does not know is still a well-formed licence, and the Creative Commons rules
(studio.core.licences) decide what unknown ones may do.
"""

from __future__ import annotations

import re

_IDSTRING = r"[A-Za-z0-9.-]+"
_SIMPLE = re.compile(rf"(?:(?:DocumentRef-{_IDSTRING}:)?LicenseRef-{_IDSTRING}|{_IDSTRING}\+?)")
_EXCEPTION = re.compile(_IDSTRING)
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"AND", "OR", "WITH"}
MAX_LENGTH = 1000


class SpdxError(ValueError):
    """Not an SPDX expression; the message says what is wrong and where."""


def check_spdx(text: str) -> str:
    """`text` when it is one SPDX licence expression, else SpdxError naming the first thing wrong."""
    if len(text) > MAX_LENGTH:
        raise SpdxError(f"longer than {MAX_LENGTH} characters")
    if text != text.strip() or any(c.isspace() and c != " " for c in text):
        raise SpdxError("only single-line text without leading or trailing spaces")
    parser = _Parser(_TOKEN.findall(text))
    parser.expression()
    if parser.peek() is not None:
        raise SpdxError(f"unexpected {parser.peek()!r} (expected AND, OR or the end)")
    return text


def is_spdx(text: str) -> bool:
    try:
        check_spdx(text)
    except SpdxError:
        return False
    return True


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise SpdxError("ends where a licence id is expected")
        self.at += 1
        return token

    def expression(self) -> None:
        self.and_expression()
        while self.peek() == "OR":
            self.take()
            self.and_expression()

    def and_expression(self) -> None:
        self.term()
        while self.peek() == "AND":
            self.take()
            self.term()

    def term(self) -> None:
        token = self.take()
        if token == "(":
            self.expression()
            if self.peek() != ")":
                raise SpdxError("a parenthesis is not closed")
            self.take()
            return
        if token == ")" or token in _OPERATORS:
            raise SpdxError(f"{token!r} where a licence id is expected")
        if not _SIMPLE.fullmatch(token):
            raise SpdxError(f"{token!r} is not a licence id (letters, digits, '-' and '.', '+' at the end)")
        if self.peek() == "WITH":
            self.take()
            exception = self.take()
            if exception in _OPERATORS or not _EXCEPTION.fullmatch(exception):
                raise SpdxError(f"{exception!r} is not a licence exception id")
