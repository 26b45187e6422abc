"""Optional test dependencies (PostgreSQL, S3, exiftool, mount permission): skipped with the reason on a
developer machine, a failure under CI, where `.ci/run` sets STUDIO_TEST_STRICT=1 after installing them all."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_dependency(reason: str) -> NoReturn:
    if os.environ.get("STUDIO_TEST_STRICT") == "1":
        pytest.fail(f"{reason} (STUDIO_TEST_STRICT=1: CI must provide it)", pytrace=False)
    pytest.skip(reason)
