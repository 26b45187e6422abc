"""The spaces the local store remembers from the server's listing: a space that drops out of the listing
(the member left or was removed) keeps its commercial mark, so the brand's rule still holds for the copy
of its projects left on this machine."""

from __future__ import annotations

from studio.core.spaces import commercial_space_of, known_space, known_spaces, remember_spaces
from studio.core.store import Store

BRAND = "b" * 32
TEAM = "c" * 32


def test_a_listing_is_remembered_and_an_unlisted_space_keeps_its_mark(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    try:
        listing = [
            {"id": "public", "name": "Public library", "kind": "public", "role": None, "commercial": False},
            {"id": BRAND, "name": "Brand", "kind": "private", "role": "editor", "commercial": True},
            {"id": TEAM, "name": "Team", "kind": "private", "role": "owner", "commercial": False},
        ]
        with store.write() as conn:
            remember_spaces(conn, listing)
        assert [s.id for s in known_spaces(store)] == ["public", BRAND, TEAM]
        brand = commercial_space_of(store, BRAND)
        assert brand is not None and brand.name == "Brand" and brand.role == "editor"
        assert commercial_space_of(store, TEAM) is None and commercial_space_of(store, "") is None

        with store.write() as conn:
            remember_spaces(conn, [listing[0], {**listing[2], "commercial": True}])
        gone = known_space(store, BRAND)
        assert gone is not None and gone.commercial and not gone.listed
        assert commercial_space_of(store, TEAM) is not None
    finally:
        store.close()
