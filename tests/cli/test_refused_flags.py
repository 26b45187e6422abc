"""Input a service refuses is named by the flag that gave it on the command line, and only there: the
services word their errors for any front end (tests/services/test_error_wording.py)."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Run, one_line_error


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("calls", "new", "studio", "--brief", "  ", "--due", "2027-01-01"),
            "--brief: say what the call is for",
        ),
        (
            ("calls", "new", "studio", "--brief", "a song", "--due", "2027-02-30"),
            "--due: '2027-02-30' is not a",
        ),
        (
            ("calls", "new", "studio", "--brief", "a song", "--due", "2027-01-01", "--length", "0"),
            "--length: must be more than zero seconds, not 0.0",
        ),
        (("payouts", "propose", "piece", "--review-days", "400"), "--review-days: must be between 0 and"),
        (("import", "nothing.wav", "--creator", ":camera"), "--creator: ':camera' has no name"),
    ],
)
def test_the_flag_at_fault_is_named(studio: Run, args: tuple[str, ...], expected: str) -> None:
    assert expected in one_line_error(studio(*args))


def test_a_command_missing_all_its_options_names_them(studio: Run, cli_media, tmp_path) -> None:
    from tests.cli.conftest import ok

    ok(studio("import", cli_media["tone"], "--creator", "Ann:music"))
    ok(studio("project", "new", "flags"))
    item = ok(studio("project", "add", "flags", "gulls")).strip()
    assert one_line_error(studio("project", "move", "flags", item)).endswith("move needs --at and/or --track")
    assert one_line_error(studio("project", "trim", "flags", item)).endswith("trim needs --in and/or --out")
    assert "--out: '-2' is negative" in one_line_error(
        studio("project", "trim", "flags", item, "--out", "-2")
    )
    otio = tmp_path / "flags.otio"
    ok(studio("project", "export", "flags", "-o", otio))
    assert one_line_error(studio("project", "import", otio)).endswith(
        "--name: there is already a project named 'flags': give another"
    )
    ok(studio("project", "import", otio, "--name", "flags again"))


def test_trust_flags_that_do_not_go_together_are_named(studio_dirs, tmp_path) -> None:
    import subprocess

    from tests.cli.conftest import STUDIO

    def login(*extra: str) -> str:
        done = subprocess.run(
            [str(STUDIO), "login", *extra, "--user", "ann", "--password-stdin"],
            input="a long passphrase\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        return one_line_error(done)

    ca = tmp_path / "ca.pem"
    ca.write_text("not read: refused first")
    assert login("https://127.0.0.1:9", "--ca-cert", str(ca), "--pin-certificate", "ab" * 32).endswith(
        "give --ca-cert or --pin-certificate, not both"
    )
    assert login("http://127.0.0.1:9", "--ca-cert", str(ca)).endswith(
        "--ca-cert and --pin-certificate are for https:// servers"
    )
