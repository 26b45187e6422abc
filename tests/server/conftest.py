"""Servers for the server tests: real uvicorn processes on 127.0.0.1 talked to over real HTTP, or the same
app factory in the test's own process where sockets add nothing.

Every test module gets a server on each backend: the embedded one (SQLite + blob folder) always, and
PostgreSQL + S3 when STUDIO_TEST_POSTGRES_URL and STUDIO_TEST_S3_URL name running services (.ci/services.sh
starts them); otherwise those cases skip and say why. A module that sets `IN_PROCESS = True` checks only
request/answer logic: its servers are `InProcessServer`s (real database, real blob store, ASGI calls without
a socket) whose clock the test moves instead of waiting. Stalled uploads, slow headers, kill -9, TLS, memory,
concurrency between processes and the sync client end to end keep the real process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
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
from studio.server.settings import Settings
from tests.deps import missing_dependency

REPO = Path(__file__).resolve().parents[2]
PG_ENV = "STUDIO_TEST_POSTGRES_URL"
S3_ENV = "STUDIO_TEST_S3_URL"


class _ServerLog:
    log_path: Path

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


class ServerProcess(_ServerLog):
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


class ManualClock:
    """A server clock the test moves: wall time plus the seconds the test has advanced it (tokens expire,
    throttles lift and due dates pass without waiting), or frozen at one instant while the test needs it
    still."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None

    def now(self) -> float:
        return self._frozen if self._frozen is not None else time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds
        if self._frozen is not None:
            self._frozen += seconds

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Stand still (but for advance) inside the block; time goes on from there afterwards."""
        self._frozen = self.now()
        try:
            yield
        finally:
            self._offset = self._frozen - time.time()
            self._frozen = None


_IN_PROCESS: dict[str, Any] = {}
"""Base URL -> the TestClient of a running InProcessServer, so Api, signup and call reach it by URL."""

_LOGGER = "studio.server"
"""The server's logger; the access log is its child and reaches its handlers."""


def _settings_from_env(env: dict[str, str]) -> dict[str, Any]:
    """STUDIO_SERVER_* variables as Settings fields (the in-process server reads no environment)."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for key, text in env.items():
        name = key.removeprefix("STUDIO_SERVER_").lower()
        default = fields[name].default
        if isinstance(default, tuple):
            values[name] = tuple(p.strip() for p in text.split(",") if p.strip())
        else:
            values[name] = type(default)(text)
    return values


class InProcessServer(_ServerLog):
    """The real app factory in this process, called through Starlette's TestClient (ASGI, no socket), on
    a real database and blob store, with a ManualClock. Same surface as ServerProcess for tests of
    request/answer logic: url, data, log(), access(), start(), stop(), alive(), and `clock`."""

    def __init__(self, root: Path, database: str = "", blobs: str = "", env: dict[str, str] | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.data = root / "data"
        self.database = database
        self.blobs = blobs
        self.settings = _settings_from_env({"STUDIO_SERVER_SIGNUPS_PER_ADDRESS": "1000000", **(env or {})})
        self.clock = ManualClock()
        self.url = f"http://studio-{secrets.token_hex(4)}.test"
        self.log_path = root / "server.log"
        self.client: Any = None
        self.ctx: Any = None  # the app's Context, for calling server functions (e.g. one GC pass) directly
        self._handler: logging.Handler | None = None

    def start(self) -> InProcessServer:
        from fastapi.testclient import TestClient

        from studio.server.app import create_app

        settings = Settings(
            data_dir=self.data, database_url=self.database, blobs_url=self.blobs, **self.settings
        )
        self._handler = logging.FileHandler(self.log_path)
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger(_LOGGER).setLevel(logging.INFO)
        logging.getLogger(_LOGGER).addHandler(self._handler)
        app: Any = create_app(settings, self.clock)
        if settings.trusted_proxies:  # as serve.py has uvicorn do
            from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

            app = ProxyHeadersMiddleware(app, trusted_hosts=list(settings.trusted_proxies))
        self.ctx = app_context(app)
        # A handler's exception is a 500 answer, as a client of a real server sees it.
        self.client = TestClient(
            app, base_url=self.url, client=("127.0.0.1", 50000), raise_server_exceptions=False
        )
        self.client.__enter__()
        _IN_PROCESS[self.url] = self.client
        return self

    def alive(self) -> bool:
        return self.client is not None

    def stop(self) -> None:
        if self.client is not None:
            _IN_PROCESS.pop(self.url, None)
            self.client.__exit__(None, None, None)
            self.client = None
        if self._handler is not None:
            logging.getLogger(_LOGGER).removeHandler(self._handler)
            self._handler.close()
            self._handler = None


def app_context(app: Any) -> Any:
    """The Context of an app, through any middleware wrapped around it."""
    while not hasattr(app, "state"):
        app = app.app
    return app.state.ctx


def call(method: str, url: str, **kw: Any) -> Any:
    """One request to `url`: through the in-process server that owns its base URL, else over HTTP."""
    for base, client in _IN_PROCESS.items():
        if url.startswith(base + "/"):
            kw.pop("timeout", None)
            if isinstance(kw.get("data"), (bytes, str)):
                kw["content"] = kw.pop("data")
            return client.request(method, url, **kw)
    kw.setdefault("timeout", 60)
    return requests.request(method, url, **kw)


class Api:
    """A thin HTTP wrapper with the base URL and an optional token (over requests, or in-process)."""

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
        if self.base in _IN_PROCESS:
            return call(method, self.base + path, **kw)  # type: ignore[no-any-return]
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
    r = call("POST", base + api.ACCOUNTS, json={"username": username, "password": password}, timeout=60)
    assert r.status_code == 201, r.text
    r = call(
        "POST",
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


def _in_process(request: pytest.FixtureRequest) -> bool:
    return bool(getattr(request.module, "IN_PROCESS", False))


@pytest.fixture(scope="module")
def server(
    backend: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    _kind, database, blobs = backend
    kind = InProcessServer if _in_process(request) else ServerProcess
    proc = kind(tmp_path_factory.mktemp("server"), database, blobs, env=_test_env())
    proc.start()
    yield proc  # type: ignore[misc]
    proc.stop()


def _test_env() -> dict[str, str]:
    return {
        "STUDIO_SERVER_MAX_BLOB_SIZE": str(128 * 1024 * 1024),
        "STUDIO_SERVER_MAX_BODY": str(2 * 1024 * 1024),
    }


@pytest.fixture
def make_server(
    backend: tuple[str, str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Build extra servers (own data folder; the backend's database and bucket) that the test controls,
    in this process in an IN_PROCESS module."""
    made: list[ServerProcess | InProcessServer] = []
    _kind, database, blobs = backend
    kind = InProcessServer if _in_process(request) else ServerProcess

    def make(
        env: dict[str, str] | None = None, root: Path | None = None, shared: bool = True
    ) -> ServerProcess | InProcessServer:
        proc = kind(
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
