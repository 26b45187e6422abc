"""The app's Shared list shows each publisher's claim about one file once, with its publisher, and pulling
a row pulls that claim: the app against a live server on loopback, two publishers CLI machines of their
own that publish the same bytes under their own titles."""

from __future__ import annotations

import secrets

import pytest
from PySide6.QtCore import Qt

from tests.sync.conftest import PASSWORD, Client, noise_wav, sha256_of
from tests.ui.helpers import sign_up_from_the_menu

pytestmark = [pytest.mark.qt]


def test_the_shared_list_shows_each_claim_once_with_its_publisher(qtbot, window, server, tmp_path):
    from studio.ui.library_dock import CLAIM_ROLE

    user = f"ui{secrets.token_hex(3)}"

    sign_up_from_the_menu(qtbot, window, server.url, user, PASSWORD)
    qtbot.waitUntil(lambda: window.sync.sync_task is None, timeout=60_000)

    tag = secrets.token_hex(3)
    media = noise_wav(tmp_path / "same.wav", 0.2, seed=91)
    sha = sha256_of(media)
    publishers = {}
    for name, title in (("ann", f"Foghorn {tag}"), ("bob", f"Harbour horn {tag}")):
        person = Client(tmp_path / name, name).signup(server.url)
        done = person.cli(
            "publish", str(media), "--title", title, "--creator", f"{name}:sound", "--licence", "CC-BY-4.0"
        )
        assert done.returncode == 0, done.stderr
        claim = next(line for line in done.stderr.splitlines() if line.startswith("claim "))
        publishers[person.user] = (claim.split()[1], title)

    library = window.library
    library.tabs.setCurrentIndex(1)
    library.search.setText(tag)
    qtbot.waitUntil(lambda: len(library.visible_titles()) == 2, timeout=30_000)
    proxy = library.proxy
    rows = [proxy.index(r, 0) for r in range(proxy.rowCount())]
    shown = {i.data(CLAIM_ROLE): (i.data(), i.data(Qt.ItemDataRole.ToolTipRole)) for i in rows}
    assert set(shown) == {claim for claim, _title in publishers.values()}
    for user_name, (claim, title) in publishers.items():
        assert shown[claim][0] == title and f"published by {user_name}" in shown[claim][1]

    # Pulling one row pulls that publisher's claim (by hash alone the choice would be ambiguous).
    bob_claim, bob_title = next(v for u, v in publishers.items() if u.startswith("bob"))
    library.select_titles([bob_title])
    assert library.selected_refs() == [bob_claim]
    qtbot.mouseClick(library.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: sha in window.catalog.clips and window.catalog.media_file(sha) is not None, timeout=60_000
    )
    assert window.catalog.clips[sha].title == bob_title
