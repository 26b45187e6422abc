"""Screenshots of the Payouts panel and a statement for the README: `python -m studio.ui.payouts_screenshots`.

Starts a studio server on loopback with a temporary data folder, publishes the demo remix as a piece, pays
it out over a few proposals (one name claimed by its person in between), then shows the panels under a
real X server (the one in $DISPLAY, or an Xvfb it starts) and writes docs/screenshots/payouts.png,
statement.png and claims.png (a credited editor's claim waiting for the publisher). Nothing of the user's
library or login is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PASSWORD = "correct horse battery"
SIZE = (1000, 820)
SERVER = (sys.executable, "-m", "studio.server")


@contextlib.contextmanager
def server(home: Path) -> Iterator[str]:
    port_file = home / "port"
    proc = subprocess.Popen(
        [*SERVER, "--data", str(home / "server"), "--port", "0", "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the studio server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text().strip()}"
    finally:
        proc.terminate()
        proc.wait(20)


@contextlib.contextmanager
def as_account(home: Path, name: str) -> Iterator[None]:
    """Act as one person: their own config folder holds their login."""
    saved = os.environ.get("STUDIO_CONFIG_DIR")
    os.environ["STUDIO_CONFIG_DIR"] = str(home / f"config-{name}")
    try:
        yield
    finally:
        if saved is not None:
            os.environ["STUDIO_CONFIG_DIR"] = saved


def prepare(home: Path, url: str) -> dict[str, Any]:
    """The demo remix published by mika and paid over three final proposals; a fourth is open."""
    from studio.services import payouts
    from studio.services import sync as svc
    from studio.services.demo import run_demo

    with as_account(home, "priya"):
        svc.signup(url, "priya", PASSWORD)
    with as_account(home, "mika"):
        svc.signup(url, "mika", PASSWORD)
        demo = run_demo(home / "exports")
        piece = svc.publish_export(demo.path)["clip"]
        payouts.record_revenue(piece, "100.01", "EUR", "streaming, March")
        payouts.finalize(payouts.propose(piece, 0, "5.00")["id"])
    with as_account(home, "priya"):
        claim = payouts.claim(piece, "Priya Raman")
    with as_account(home, "mika"):
        payouts.confirm_claim(claim["id"])
        payouts.record_revenue(piece, "250.00", "EUR", "sync licence")
        payouts.finalize(payouts.propose(piece, 0, "5.00")["id"])
        payouts.record_revenue(piece, "12.40", "EUR", "streaming, April")
        payouts.finalize(payouts.propose(piece, 0, "5.00")["id"])
        payouts.record_revenue(piece, "480.00", "EUR", "festival screening fee")
        open_one = payouts.propose(piece, 14, "5.00")
        payouts.comment(
            open_one["id"], "Shares follow the credits embedded in the export; open for two weeks."
        )
    with as_account(home, "priya"):
        payouts.comment(open_one["id"], "Thanks! My share matches the colour grading I did.")
    with as_account(home, "kofi"):  # a credited editor who has just made an account: mika decides
        svc.signup(url, "kofi", PASSWORD)
        payouts.claim(piece, "Kofi Mensah")
    return {"piece": piece}


def take(home: Path, out: Path, piece: str) -> list[Path]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.app import create_app
    from studio.ui.payouts_panel import EarningsView, PayoutsPanel
    from studio.ui.screenshots import when

    app = create_app([sys.argv[0]])
    saved: list[Path] = []
    os.environ["STUDIO_CONFIG_DIR"] = str(home / "config-mika")
    panel = PayoutsPanel()
    panel.resize(*SIZE)
    panel.set_piece(piece)
    panel.show()
    panel.reload()

    def shoot(widget: Any, name: str) -> None:
        QApplication.processEvents()
        path = out / name
        widget.grab().save(str(path))
        saved.append(path)

    def panel_ready() -> None:
        panel.lines.resizeColumnsToContents()
        panel.lines.horizontalHeader().setStretchLastSection(True)

        def then() -> None:
            shoot(panel, "payouts.png")
            statement()

        QTimer.singleShot(300, then)

    def statement() -> None:
        os.environ["STUDIO_CONFIG_DIR"] = str(home / "config-priya")
        view = EarningsView()
        view.resize(SIZE[0], 420)
        view.show()
        view.refresh()

        def then() -> None:
            shoot(view, "statement.png")
            claims()

        when(
            lambda: view.statement is not None and not view.busy,
            lambda: QTimer.singleShot(300, then),
            limit_s=60.0,
        )

    def claims() -> None:
        from studio.services.library_listing import list_library
        from studio.services.projects import open_store
        from studio.ui.claims_panel import ClaimsPanel

        os.environ["STUDIO_CONFIG_DIR"] = str(home / "config-mika")
        with open_store() as store:  # a public claim id starts with its media's hash
            clips = {entry.clip.id[:64]: entry.clip for entry in list_library(store)}
        tab = ClaimsPanel(lambda p: clips.get(p[:64]))
        tab.resize(SIZE[0], 460)
        tab.set_account("mika")
        tab.show()
        tab.set_piece(piece)

        def then() -> None:
            tab.waiting.selectRow(0)
            shoot(tab, "claims.png")
            app.quit()

        when(lambda: tab.loaded and not tab.busy, lambda: QTimer.singleShot(300, then), limit_s=60.0)

    when(lambda: panel.proposal is not None and not panel.busy, panel_ready, limit_s=60.0)
    app.exec()
    return saved


def main(argv: list[str] | None = None) -> int:
    from studio.ui.screenshots import screen_session

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("STUDIO_KEYRING", "file")
    with screen_session("studio-payout-shots-") as home, server(home) as url:
        made = prepare(home, url)
        for path in take(home, args.out, made["piece"]):
            print(path)
    return 0

if __name__ == "__main__":
    sys.exit(main())
