"""The server's models of the push and feed documents are checked against the protocol's shapes, so
neither side can grow a field the other does not know."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from studio.protocol import shapes
from studio.server import models


def test_each_push_and_feed_model_mirrors_its_protocol_shape() -> None:
    pairs = {
        models.RecordChangeIn: shapes.RecordChange,
        models.OpsChangeIn: shapes.OpsChange,
        models.ConflictOut: shapes.Conflict,
        models.PushResultOut: shapes.PushResult,
        models.PushOut: shapes.PushReply,
        models.FeedEntryOut: shapes.FeedEntry,
        models.FeedOut: shapes.FeedPage,
    }
    for model, shape in pairs.items():
        assert models.mirrors(shape)(model) is model
        assert set(model.model_fields) == set(shape.__annotations__)


def test_a_model_that_drifts_from_its_shape_fails_when_defined() -> None:
    with pytest.raises(TypeError, match=r"does not match studio\.protocol\.shapes\.FeedPage"):

        @models.mirrors(shapes.FeedPage)
        class Wider(BaseModel):
            entries: list[models.FeedEntryOut]
            cursor: str
            more: bool
            epoch: str
            total: int

    with pytest.raises(TypeError, match=r"does not match studio\.protocol\.shapes\.Conflict"):

        @models.mirrors(shapes.Conflict)
        class Stricter(models.ConflictOut):
            base: object  # required here, optional in the shape

