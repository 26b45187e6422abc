"""Property-based fuzzing of every operation in /openapi.json against a live server, with real tokens:
no 5xx, every status code documented, every body matching its schema and content type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from studio.protocol import api
from tests.server.conftest import ServerProcess, signup, unique

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_server(
    backend: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """On SQLite and on PostgreSQL with S3 (the `backend` fixture runs the module once for each)."""
    _kind, database, blobs = backend
    proc = ServerProcess(
        tmp_path_factory.mktemp("fuzz"), database, blobs, env={"STUDIO_SERVER_LOGIN_FAILURES": "1000000"}
    )
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def fuzz_user(fuzz_server: ServerProcess):
    user = signup(fuzz_server.url, unique("fuzzer"), "fuzzing password")
    user.new_space("fuzz space")
    return user


def _fuzz_operation(operation, server: ServerProcess, user, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        token = user.token
        if case.operation.path == api.CURRENT_TOKEN:
            token = signup(server.url).token
        case.call_and_validate(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )

    try:
        run()
    except (Exception, ExceptionGroup) as exc:
        failures.append(f"{operation.label}: {exc}"[:3000])


def test_every_operation_stays_within_its_schema(fuzz_server: ServerProcess, fuzz_user) -> None:
    schema = schemathesis.openapi.from_url(fuzz_server.url + api.OPENAPI)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:
        _fuzz_operation(operation, fuzz_server, fuzz_user, failures)
    assert not failures, "\n\n".join(failures)
    assert fuzz_server.alive()
