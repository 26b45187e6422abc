"""The commercial mark of a private space over real HTTP: owners set it, members see it in the listing and
the space, editors, viewers, non-members, anonymous callers and the public space cannot change it."""

from __future__ import annotations

from studio.protocol import api
from studio.protocol.problems import FORBIDDEN, NOT_FOUND

from .conftest import Api, ServerProcess, signup, unique

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)


def listed(user: Api, space: str) -> dict:
    r = user.get(api.SPACES)
    assert r.status_code == 200, r.text
    return next(s for s in r.json() if s["id"] == space)


def test_owner_marks_a_space_and_members_see_it(server: ServerProcess, alice: Api, bob: Api) -> None:
    space = alice.new_space("Brand")
    assert alice.add_member(space, bob.username, "editor").status_code == 200
    assert listed(bob, space)["commercial"] is False

    r = alice.request("PATCH", api.SPACE.format(space_id=space), json={"commercial": True})
    assert r.status_code == 200, r.text
    assert r.json()["commercial"] is True and r.json()["name"] == "Brand" and r.json()["role"] == "owner"
    assert listed(bob, space)["commercial"] is True
    assert bob.get(api.SPACE.format(space_id=space)).json()["commercial"] is True

    r = alice.request("PATCH", api.SPACE.format(space_id=space), json={"name": "Brand 2026"})
    assert r.status_code == 200 and r.json()["commercial"] is True, r.text  # a field left out stays
    r = alice.request("PATCH", api.SPACE.format(space_id=space), json={"commercial": False})
    assert r.json()["commercial"] is False and listed(bob, space)["commercial"] is False


def test_only_owners_change_the_mark(server: ServerProcess, alice: Api, bob: Api, anon: Api) -> None:
    carol = signup(server.url, unique("carol"))
    mallory = signup(server.url, unique("mallory"))
    space = alice.new_space("Brand")
    alice.add_member(space, bob.username, "editor")
    alice.add_member(space, carol.username, "viewer")
    path = api.SPACE.format(space_id=space)
    for member in (bob, carol):
        r = member.request("PATCH", path, json={"commercial": True})
        assert r.status_code == 403 and r.json()["type"] == FORBIDDEN, r.text
        assert "only an owner" in r.json()["detail"]
    stranger = mallory.request("PATCH", path, json={"commercial": True})
    assert stranger.status_code == 404 and stranger.json()["type"] == NOT_FOUND  # as for no space at all
    assert anon.request("PATCH", path, json={"commercial": True}).status_code == 401
    assert listed(alice, space)["commercial"] is False

    # a member removed keeps no say
    assert alice.delete(api.MEMBER.format(space_id=space, username=bob.username)).status_code == 204
    assert bob.request("PATCH", path, json={"commercial": True}).status_code == 404
    assert listed(alice, space)["commercial"] is False


def test_the_public_space_cannot_be_marked_and_bad_bodies_are_named(alice: Api) -> None:
    r = alice.request("PATCH", api.SPACE.format(space_id="public"), json={"commercial": True})
    assert r.status_code == 409 and "public space" in r.json()["detail"], r.text
    assert listed(alice, "public")["commercial"] is False

    space = alice.new_space("Brand")
    path = api.SPACE.format(space_id=space)
    for body in ({"commercial": "yes"}, {"owner": "me"}, {"name": ""}):
        r = alice.request("PATCH", path, json=body)
        assert r.status_code == 422, (body, r.text)
    assert listed(alice, space)["commercial"] is False and listed(alice, space)["name"] == "Brand"
