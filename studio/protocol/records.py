"""The documents of records on the wire: what a clip record holds and how a credit is written in it.

The server stores a record's document as its publisher pushed it and merges it field by field; the sync
client builds and reads these documents (studio.sync.records). A credit is checked here and nowhere else:
the server holds a clip whose credits break this shape as an invariant conflict, the client refuses to
take such a credit into its library. (Annotations are evaluated, as TypedDict needs for NotRequired.)
"""

from fractions import Fraction
from typing import Any, NotRequired, TypedDict


class WireCredit(TypedDict):
    """One person credited on a clip record."""

    name: str
    role: str  # the first of `roles`, for readers that know one role per credit
    roles: NotRequired[list[str]]  # every role; older documents carry only `role`
    weight: NotRequired[float]  # the share weight, when not 1 (a JSON number, for any reader)
    weight_exact: NotRequired[str]  # the same weight exactly ("2/3"), which readers prefer
    contributor: NotRequired[str]  # the contributor id: an account's, or one derived from the name


class ClipDocument(TypedDict, total=False):
    """The document of a clip record (its record id is the publisher's claim id or the media's SHA-256)."""

    media: str  # SHA-256 of the media file
    title: str
    kind: str  # video | audio | image | title
    duration: str | None  # exact seconds, "num/den"
    has_video: bool
    has_audio: bool
    probe: dict[str, Any]
    credits: list[WireCredit]
    licence: str  # SPDX
    lineage: list[str]  # the clips it was made from, nearest first
    embedded_credits: dict[str, Any] | None  # the studio-credits block its file carries
    tags: list[str]
    source_name: str  # the file name it was imported from
    size: int  # bytes of the media, for the download


def credit_problem(entry: Any) -> str | None:
    """Why one credit breaks the wire shape (naming the field), or None when it holds."""
    if not isinstance(entry, dict):
        return "is not an object"
    for key in ("name", "role"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            return f"has no {key}"
    roles = entry.get("roles")
    if roles is not None and (
        not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r.strip() for r in roles)
    ):
        return f"has roles {roles!r}, not a non-empty list of names"
    weight = entry.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0):
        return f"has weight {weight!r}, not a number >= 0"
    exact = entry.get("weight_exact")
    if exact is not None and _fraction(exact) is None:
        return f"has weight_exact {exact!r}, not an exact number >= 0 such as \"2/3\""
    contributor = entry.get("contributor")
    if contributor is not None and not isinstance(contributor, str):
        return f"has contributor {contributor!r}, not an id"
    return None


def credits_problem(credits: Any) -> str | None:
    """Why a clip record's credits break the invariant (someone credited, each credit in shape)."""
    if not isinstance(credits, list) or not credits:
        return "'credits' must be a non-empty list"
    for index, entry in enumerate(credits):
        problem = credit_problem(entry)
        if problem:
            return f"credits[{index}] {problem}"
    return None


def _fraction(text: Any) -> Fraction | None:
    if not isinstance(text, str):
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value >= 0 else None
