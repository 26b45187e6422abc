"""Live servers for the server tests: real uvicorn processes on 127.0.0.1, talked to over real HTTP.

Every test module gets a server on each backend: the embedded one (SQLite + blob folder) always, and
PostgreSQL + S3 when STUDIO_TEST_POSTGRES_URL and STUDIO_TEST_S3_URL name running services (.ci/services.sh
starts them); otherwise those cases skip and say why.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
import requests
import xxhash

from studio.protocol import api
from tests.deps import missing_dependency

REPO = Path(__file__).resolve().parents[2]
PG_ENV = "STUDIO_TEST_POSTGRES_URL"
S3_ENV = "STUDIO_TEST_S3_URL"


class ServerProcess:
    """One `python -m studio.server` process; restartable on the same data, database and bucket."""

    def __init__(self, root: Path, database: str = "", blobs: str = "", env: dict[str, str] | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.data = root / "data"
        self.database = database
        self.blobs = blobs
        # Tests sign up hundreds of accounts from one address; the signup throttle has tests of its own.
        self.env = {"STUDIO_SERVER_SIGNUPS_PER_ADDRESS": "1000000", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = root / "server.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **extra_env: str) -> ServerProcess:
        port_file = self.root / f"port-{self.starts}"
        self.starts += 1
        cmd = [
            sys.executable,
            "-m",
            "studio.server",
            "--data",
            str(self.data),
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ]
        if self.database:
            cmd += ["--database", self.database]
        if self.blobs:
            cmd += ["--blobs", self.blobs]
        env = {**os.environ, **self.env, **extra_env}
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        requests.get(self.url + api.HEALTH, timeout=30).raise_for_status()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def access(self) -> list[dict[str, Any]]:
        """The server's access log lines (one JSON object per request)."""
        out = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    out.append(json.loads(line))
        return out

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Api:
    """A thin requests wrapper with the base URL and an optional token."""

    def __init__(self, base: str, token: str | None = None, username: str = "") -> None:
        self.base = base
        self.token = token
        self.username = username
        self.session = requests.Session()

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(extra or {})
        return h

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw["headers"] = self.headers(kw.get("headers"))
        kw.setdefault("timeout", 60)
        return self.session.request(method, self.base + path, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    # protocol helpers -------------------------------------------------------------------------------

    def push(self, space: str, *changes: dict[str, Any]) -> requests.Response:
        return self.post(api.CHANGES.format(space_id=space), json={"changes": list(changes)})

    def feed(self, space: str, cursor: str | None = None, limit: int | None = None) -> requests.Response:
        params: dict[str, Any] = {}
        if cursor:
            params["cursor"] = cursor
        if limit:
            params["limit"] = limit
        return self.get(api.FEED.format(space_id=space), params=params)

    def pull_all(self, space: str, cursor: str | None = None, limit: int = 1000) -> tuple[list[dict], str]:
        entries: list[dict] = []
        while True:
            r = self.feed(space, cursor, limit)
            assert r.status_code == 200, r.text
            page = r.json()
            entries += page["entries"]
            cursor = page["cursor"]
            if not page["more"]:
                return entries, cursor

    def new_space(self, name: str = "team") -> str:
        r = self.post(api.SPACES, json={"name": name})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def add_member(self, space: str, username: str, role: str) -> requests.Response:
        return self.put(api.MEMBER.format(space_id=space, username=username), json={"role": role})

    def upload(self, space: str, data: bytes) -> str:
        """Negotiate, send the missing parts, complete; returns the blob's hash."""
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        r = self.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
        assert r.status_code == 200, r.text
        answer = r.json()["blobs"][0]
        if answer["status"] == "present":
            return sha
        assert answer["status"] == "upload", answer
        self.send_parts(answer, data)
        done = self.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
        assert done.status_code == 200, done.text
        return sha

    def put_part(
        self, session_id: str, number: int, body: bytes, checksum: str | None = None
    ) -> requests.Response:
        """PUT one part, with the checksum of `body` unless another is given."""
        return self.put(
            api.UPLOAD_PART.format(session_id=session_id, number=number),
            data=body,
            headers={api.PART_CHECKSUM_HEADER: checksum or xxhash.xxh3_128(body).hexdigest()},
        )

    def send_parts(self, answer: dict[str, Any], data: bytes, only: list[int] | None = None) -> None:
        size = answer["part_size"]
        for n in only or range(1, answer["part_count"] + 1):
            if n in answer["parts_received"]:
                continue
            r = self.put_part(answer["session_id"], n, data[(n - 1) * size : n * size])
            assert r.status_code == 200, r.text


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def signup(base: str, name: str | None = None, password: str = "correct horse battery") -> Api:
    username = name or unique("u")
    r = requests.post(base + api.ACCOUNTS, json={"username": username, "password": password}, timeout=60)
    assert r.status_code == 201, r.text
    r = requests.post(
        base + api.TOKENS,
        json={"username": username, "password": password, "device_name": "laptop"},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return Api(base, r.json()["token"], username)


def _admin_pg() -> Any:
    import psycopg

    return psycopg.connect(os.environ[PG_ENV], autocommit=True)


@contextlib.contextmanager
def backend_urls(kind: str) -> Iterator[tuple[str, str]]:
    """(database URL, blob URL) for a fresh database and bucket of the requested backend."""
    if kind == "embedded":
        yield "", ""
        return
    missing = [name for name in (PG_ENV, S3_ENV) if not os.environ.get(name)]
    if missing:
        missing_dependency(f"{' and '.join(missing)} not set: PostgreSQL/S3 tests need .ci/services.sh")
    name = unique("studio_t_")
    with _admin_pg() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    pg = urlparse(os.environ[PG_ENV])
    database = urlunparse(pg._replace(path="/" + name))
    s3 = urlparse(os.environ[S3_ENV])
    blobs = urlunparse(s3._replace(path="/" + name))
    try:
        yield database, blobs
    finally:
        with contextlib.suppress(Exception), _admin_pg() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("pg-s3", id="pg-s3", marks=[pytest.mark.postgres, pytest.mark.s3]),
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    with backend_urls(request.param) as (database, blobs):
        yield request.param, database, blobs


@pytest.fixture(scope="module")
def server(
    backend: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    _kind, database, blobs = backend
    proc = ServerProcess(tmp_path_factory.mktemp("server"), database, blobs, env=_test_env())
    proc.start()
    yield proc
    proc.stop()


def _test_env() -> dict[str, str]:
    return {
        "STUDIO_SERVER_MAX_BLOB_SIZE": str(64 * 1024 * 1024),
        "STUDIO_SERVER_MAX_BODY": str(2 * 1024 * 1024),
    }


@pytest.fixture
def make_server(backend: tuple[str, str, str], tmp_path: Path) -> Iterator[Any]:
    """Build extra servers (own data folder; the backend's database and bucket) that the test controls."""
    made: list[ServerProcess] = []
    _kind, database, blobs = backend

    def make(
        env: dict[str, str] | None = None, root: Path | None = None, shared: bool = True
    ) -> ServerProcess:
        proc = ServerProcess(
            root or tmp_path / f"s{len(made)}",
            database if shared else "",
            blobs if shared else "",
            env={**_test_env(), **(env or {})},
        )
        made.append(proc)
        return proc

    yield make
    for proc in made:
        proc.stop()


@pytest.fixture
def alice(server: ServerProcess) -> Api:
    return signup(server.url, unique("alice"))


@pytest.fixture
def bob(server: ServerProcess) -> Api:
    return signup(server.url, unique("bob"))


@pytest.fixture
def anon(server: ServerProcess) -> Api:
    return Api(server.url)
