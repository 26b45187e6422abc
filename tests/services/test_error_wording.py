"""The services speak to every front end: no message they raise names a command-line flag (the CLI adds
its flags from the field an error names, studio.cli.wording; the app points at its own controls)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from studio.core.errors import InvalidInput
from studio.services import calls, library, payouts, projects

SERVICES = Path(projects.__file__).parent
FLAG = re.compile(r"(?:^|[\s(\"'])--[a-z]")


def _texts_raised(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append((part.lineno, part.value))
    return found


def test_no_service_error_names_a_flag() -> None:
    named = [
        f"{path.relative_to(SERVICES)}:{line}: {text!r}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, text in _texts_raised(ast.parse(path.read_text(), str(path)))
        if FLAG.search(text)
    ]
    assert named == []


def test_the_scan_sees_a_flag_in_a_raised_message() -> None:
    tree = ast.parse('raise InvalidInput(f"--at {x} is not a time")\nraise ValueError("use --due DATE")')
    assert [FLAG.search(text) is not None for _, text in _texts_raised(tree)] == [True, False, True]


@pytest.mark.parametrize(
    ("refuse", "field", "message"),
    [
        (lambda: calls.new_call("s", " ", "2027-01-01"), "brief", "the brief is empty"),
        (lambda: calls.new_call("s", "b", "2027-02-30"), "due", "the due date '2027-02-30' is not a"),
        (lambda: calls.new_call("s", "b", "2027-01-01", 0), "length_s", "the length asked for must be"),
        (lambda: payouts.propose("p", review_days=-1), "review_days", "the review period must be between"),
        (lambda: library.parse_creator(" :x"), "creator", "the credit ' :x' has no name"),
        (lambda: projects.parse_seconds("soon", "at"), "at", "the time on the timeline: not a time"),
    ],
)
def test_refused_input_names_its_field(refuse, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        refuse()
    assert caught.value.field == field
    assert str(caught.value).startswith(message)
    assert not FLAG.search(str(caught.value))
