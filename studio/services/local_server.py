"""The local server: `studio serve` on this machine, started for a user who has no server elsewhere.

It runs as a detached process, so it outlives the app that started it (others on this machine keep
syncing with it) and an app that starts again finds it. Its pid, port, URL and the server's epoch are
recorded in the config folder; a record whose server stopped answering (a reboot, a crash) is started
again on the same port, so an account that points at it keeps working. A server is believed to be ours
only while its health answer carries the recorded epoch, so a stale pid never stops a stranger.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.cancel import CancelToken
from studio.core.errors import StudioError
from studio.core.paths import cache_dir, config_dir, data_dir
from studio.protocol.api import HEALTH

RECORD_FILE = "local-server.json"
LOG_FILE = "local-server.log"
PREFERRED_PORT = 8750
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

_lock = threading.Lock()  # one start or stop at a time in this process
_children: dict[int, subprocess.Popen[bytes]] = {}  # started here: reaped when stopped here


class LocalServerError(StudioError):
    """The local server could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class LocalServer:
    pid: int
    port: int
    url: str
    data: str
    epoch: str
    stopped: bool = False  # stopped on purpose: not started again by itself


def record_path() -> Path:
    return config_dir() / RECORD_FILE


def log_path() -> Path:
    return cache_dir() / LOG_FILE


def read_record() -> LocalServer | None:
    """The recorded local server (running or not), or None; an unreadable record counts as none."""
    try:
        doc = json.loads(record_path().read_text(encoding="utf-8"))
        return LocalServer(
            pid=int(doc["pid"]),
            port=int(doc["port"]),
            url=str(doc["url"]),
            data=str(doc["data"]),
            epoch=str(doc["epoch"]),
            stopped=bool(doc.get("stopped", False)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(server: LocalServer) -> None:
    atomic_write_text(record_path(), json.dumps(asdict(server), sort_keys=True) + "\n")


def health(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The server's health answer, or None when nothing (or not a studio server) answers there."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    try:
        with opener.open(url.rstrip("/") + HEALTH, timeout=timeout) as response:
            doc = json.loads(response.read(65536))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return doc if isinstance(doc, dict) and doc.get("status") == "ok" else None


def running() -> LocalServer | None:
    """The recorded server if it answers with its recorded epoch (so it is ours), else None."""
    record = read_record()
    if record is None or record.stopped:
        return None
    answer = health(record.url)
    return record if answer is not None and str(answer.get("epoch")) == record.epoch else None


def serves(url: str) -> bool:
    """Whether `url` is the local server's address (the account points at it)."""
    record = read_record()
    return record is not None and record.url.rstrip("/") == url.rstrip("/")


def _serve_command() -> list[str]:
    if getattr(sys, "frozen", False):  # a bundle: its executable is the `studio` command
        return [sys.executable, "serve"]
    return [sys.executable, "-m", "studio.cli.main", "serve"]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform != "win32":  # as the server binds: a port in TIME_WAIT after a crash is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _spawn(data: Path, port: int, port_file: Path) -> subprocess.Popen[bytes]:
    """`studio serve` detached from this process (its own session), its output in the log file."""
    port_file.unlink(missing_ok=True)
    args = [*_serve_command(), "--data", str(data), "--host", HOST, "--port", str(port)]
    args += ["--port-file", str(port_file)]
    detach: dict[str, Any] = {"start_new_session": True}
    if sys.platform == "win32":
        flags = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        detach = {"creationflags": flags}
    with open(log_path(), "wb") as log:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True, **detach
        )
    _children[proc.pid] = proc
    return proc


def _log_tail(lines: int = 6) -> str:
    try:
        text = log_path().read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _wait_up(
    proc: subprocess.Popen[bytes], data: Path, port_file: Path, timeout: float, cancel: CancelToken | None
) -> LocalServer | None:
    """The server once it answers; None if the process ended first (e.g. its port was taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cancel is not None and cancel.cancelled:
            _terminate(proc.pid)
            cancel.raise_if_cancelled()
        if proc.poll() is not None:
            _children.pop(proc.pid, None)
            return None
        try:
            port = int(port_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            port = 0
        if port:
            url = f"http://{HOST}:{port}"
            answer = health(url, timeout=1.0)
            if answer is not None:
                return LocalServer(proc.pid, port, url, str(data), str(answer.get("epoch", "")))
        time.sleep(0.1)
    _terminate(proc.pid)
    raise LocalServerError(
        f"the local server did not answer within {timeout:.0f} s (its log: {log_path()})\n{_log_tail()}"
    )


def start(
    data: Path | None = None, *, timeout: float = START_TIMEOUT_S, cancel: CancelToken | None = None
) -> tuple[LocalServer, bool]:
    """The local server running: the recorded one if it answers, else started (again, on its recorded
    port, so accounts pointing at it keep working). Returns it and whether it was started now."""
    with _lock:
        found = running()
        if found is not None:
            return found, False
        record = read_record()
        folder = Path(record.data) if record is not None and data is None else (data or data_dir() / "server")
        folder.mkdir(parents=True, exist_ok=True)
        if record is not None:
            if not _port_is_free(record.port):
                raise LocalServerError(
                    f"port {record.port} of the local server ({record.url}) is taken by another program; "
                    "close it, then start the local server again"
                )
            ports = [record.port]
        else:
            ports = [PREFERRED_PORT, 0] if _port_is_free(PREFERRED_PORT) else [0]
        port_file = cache_dir() / "local-server.port"
        for port in ports:
            proc = _spawn(folder, port, port_file)
            server = _wait_up(proc, folder, port_file, timeout, cancel)
            if server is not None:
                _write_record(server)
                return server, True
            found = running()  # another app on this machine may have started it meanwhile
            if found is not None:
                return found, False
        raise LocalServerError(
            f"the local server stopped as it started (its log: {log_path()})\n{_log_tail()}"
        )


def ensure_for(url: str, *, cancel: CancelToken | None = None) -> tuple[LocalServer, bool] | None:
    """When `url` is the local server's and it was not stopped on purpose: it, running (restarted if it
    was not answering). None when `url` is some other server or the user stopped the local one."""
    record = read_record()
    if record is None or record.stopped or not serves(url):
        return None
    return start(cancel=cancel)


def stop(timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop the local server (on purpose: it stays stopped until started again). True if one was running."""
    with _lock:
        record = read_record()
        if record is None:
            return False
        server = running()
        if server is not None:
            _terminate(server.pid)
            deadline = time.monotonic() + timeout
            while _alive(server) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(server):
                raise LocalServerError(
                    f"the local server (pid {server.pid}) did not stop within {timeout:.0f} s"
                )
        _write_record(replace(record, stopped=True))
        return server is not None


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(server: LocalServer) -> bool:
    pid = server.pid
    child = _children.get(pid)
    if child is not None:  # started here: reap it, or it lingers as a zombie
        if child.poll() is None:
            return True
        _children.pop(pid, None)
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would end it there
        return health(server.url, timeout=0.5) is not None
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
