"""The one SPDX grammar (studio.core.spdx), on the expressions where the two grammars it replaces disagreed:
the import check (`^\\(?ID( (AND|OR|WITH) \\(?ID\\)?)*\\)?$`) and the credits-block check
(`^[A-Za-z0-9(][A-Za-z0-9.+\\-() ]*$`), and on the ones both got wrong."""

from __future__ import annotations

import pytest

from studio.core.errors import InvalidInput
from studio.core.spdx import SpdxError, check_spdx, is_spdx
from studio.services.library import check_licence

VALID = [
    "CC-BY-4.0",
    "CC0-1.0",
    "NOASSERTION",
    "GPL-2.0+",
    "MIT OR Apache-2.0",
    "GPL-2.0-only WITH Classpath-exception-2.0",
    "(MIT OR Apache-2.0) AND BSD-3-Clause",
    "MIT AND (GPL-2.0-only OR (BSD-2-Clause AND Apache-2.0))",
    "LicenseRef-studio.house-licence",
    # the import check refused these (one parenthesis a side, single spaces); the spec allows them
    "((MIT))",
    "MIT  OR  Apache-2.0",
    "(MIT)AND(Apache-2.0)",
    # both refused a document reference (the colon)
    "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2",
]

INVALID = {
    # the credits check took any run of these characters
    "MIT OR": "ends where a licence id is expected",
    "MIT MIT": "unexpected 'MIT'",
    "mit and apache-2.0": "unexpected 'and'",
    "((": "ends where a licence id is expected",
    "()": "')' where a licence id is expected",
    "MIT WITH": "ends where a licence id is expected",
    # both took a lone operator and unbalanced parentheses
    "AND": "'AND' where a licence id is expected",
    "(MIT": "a parenthesis is not closed",
    "MIT)": "unexpected ')'",
    "(MIT OR Apache-2.0": "a parenthesis is not closed",
    # both took '+' anywhere, WITH after a parenthesised expression and an operator as an exception
    "GPL+2.0": "'GPL+2.0' is not a licence id",
    "(MIT OR Apache-2.0) WITH Classpath-exception-2.0": "unexpected 'WITH'",
    "MIT WITH OR": "'OR' is not a licence exception id",
    # what neither should take
    "LicenseRef-my_licence": "is not a licence id",
    "CC-BY-4.0\nMIT": "single-line",
    " CC-BY-4.0": "leading or trailing",
    "": "ends where a licence id is expected",
    "MIT; rm -rf /": "'MIT;' is not a licence id",
}


@pytest.mark.parametrize("text", VALID)
def test_valid_expressions_are_taken_as_they_are(text: str) -> None:
    assert check_spdx(text) == text
    assert is_spdx(text)


@pytest.mark.parametrize(("text", "reason"), INVALID.items())
def test_invalid_expressions_are_refused_naming_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(SpdxError) as caught:
        check_spdx(text)
    assert reason in str(caught.value)
    assert not is_spdx(text)


def test_the_import_check_uses_the_grammar_and_keeps_no_licence_allowed() -> None:
    assert check_licence("  MIT AND (GPL-2.0-only OR X11) ") == "MIT AND (GPL-2.0-only OR X11)"
    assert check_licence("") == ""
    with pytest.raises(InvalidInput, match=r"not an SPDX licence id or expression: a parenthesis is not"):
        check_licence("(MIT")
