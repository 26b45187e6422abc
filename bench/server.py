"""Server benchmark on loopback.

1. Throughput of a 200 MB blob through the API (negotiate, 32 MiB parts, complete; ranged-capable download)
   as a ratio to curl against a static endpoint on the same machine (the standard library's threaded HTTP
   server serving the file and writing each PUT body to a new file of its own, kept, with fsync, as the
   blob store does with each blob). Both sides are driven by the same curl binary and flags, write to the
   same disk and are measured alternately in the same run, in an order that rotates every round. Target:
   >= 0.8. Overwriting one file again and again would flatter the reference: recycled page-cache pages cost
   a fraction of fresh ones on this machine, and a store that keeps every blob never gets them. For the
   same reason nothing large is freed inside the timed loop (the client's inputs are made beforehand), and
   the order rotates: memory freed just before a measurement makes its writes cheaper. Which of the two
   kinds of memory the writes land in depends on what the machine did before; `--warm` frees page cache
   before every upload so that all of them land in recycled memory, the state of a long-running machine.
   bench/_minimal_receiver.py (uvicorn receiving the body as `studio serve` does, straight from the
   connection, hashing and writing, nothing else; and once more without
   the SHA-256, to show what the hash that publication must verify costs on this machine) is measured beside
   them: the ceiling of this server stack on this machine.
   The server's peak resident memory (RSS, sampled every 5 ms) during each kind of upload is printed
   beside the rates: parts are held as the bytes that arrived, so the peak stays near the idle size plus
   the parts in flight and the parts waiting for the whole-upload hash.
2. Change feed of a 10,000-record space: an incremental pull with nothing new (target: one request, under
   50 ms) and a full pull.

3. A blob that exists but is hidden from the caller against one that does not exist: both are 404, and
   their median times should be the same (no existence oracle by timing).

Run: .venv/bin/python bench/server.py [--mb 200] [--rounds 3] [--warm]
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import bare_pull  # noqa: E402 - bench/sync.py, beside this file

from studio.protocol import api  # noqa: E402
from studio.protocol.checksum import part_checksum  # noqa: E402
from studio.sync.client import ApiClient  # noqa: E402
from studio.sync.transfer import BlobSource, upload_blobs  # noqa: E402


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        target = Path(self.directory) / Path(self.path).name
        with open(target, "wb") as fh:
            remaining = length
            while remaining:
                chunk = self.rfile.read(min(1 << 20, remaining))
                if not chunk:
                    break
                fh.write(chunk)
                remaining -= len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def start_reference(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    def handler(*a: object, **kw: object) -> StaticHandler:
        return StaticHandler(*a, directory=str(folder), **kw)  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def start_server(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = work / "port"
    env = {**os.environ, "STUDIO_SERVER_MAX_BLOB_SIZE": str(1 << 40)}
    log = open(work / "server.log", "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.server",
            "--data",
            str(work / "data"),
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    while not port_file.exists():
        if proc.poll() is not None:
            raise SystemExit(f"server did not start: {(work / 'server.log').read_text()}")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{int(port_file.read_text())}"
    requests.get(url + api.HEALTH, timeout=30).raise_for_status()
    return proc, url


def start_minimal(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_minimal_receiver.py"), str(port), str(folder)]
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/ready/0", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("bench/_minimal_receiver.py did not start")


def login(url: str, name: str) -> str:
    requests.post(url + api.ACCOUNTS, json={"username": name, "password": "bench password"}, timeout=30)
    r = requests.post(url + api.TOKENS, json={"username": name, "password": "bench password"}, timeout=30)
    r.raise_for_status()
    return str(r.json()["token"])


def curl(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", *args], check=True)
    return time.perf_counter() - start


def api_upload(
    url: str, token: str, space: str, parts: list[Path], sha: str, size: int, parallel: int
) -> float:
    auth = f"Authorization: Bearer {token}"
    first_checksum = part_checksum(parts[0].read_bytes()).hexdigest()
    start = time.perf_counter()
    r = requests.post(
        url + api.NEGOTIATE,
        json={"space": space, "blobs": [{"sha256": sha, "size": size}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    session = r.json()["blobs"][0]["session_id"]
    args: list[str] = []
    for n, part in enumerate(parts, start=1):
        if args:
            args.append("--next")
        checksum = first_checksum if n == 1 else part.name.split("-")[1]
        args += [
            "-sS",
            "--fail",
            "-o",
            "/dev/null",
            "-H",
            auth,
            "-H",
            f"{api.PART_CHECKSUM_HEADER}: {checksum}",
            "-T",
            str(part),
            url + api.UPLOAD_PART.format(session_id=session, number=n),
        ]
    t_parts = time.perf_counter()
    many = ["--no-progress-meter", "--parallel", "--parallel-max", str(parallel)] if parallel > 1 else []
    subprocess.run(["curl", *many, *args], check=True)
    t_complete = time.perf_counter()
    done = requests.post(
        url + api.UPLOAD_COMPLETE.format(session_id=session),
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
    done.raise_for_status()
    end = time.perf_counter()
    if os.environ.get("BENCH_DETAIL"):
        print(
            f"  negotiate {t_parts - start:.3f}s parts {t_complete - t_parts:.3f}s "
            f"complete {end - t_complete:.3f}s"
        )
    return end - start


def minimal_upload(minimal_url: str, parts: list[Path], name: str, hashing: bool = True) -> float:
    args: list[str] = []
    for n, part in enumerate(parts):
        if args:
            args.append("--next")
        args += [
            "-sS",
            "--fail",
            "-o",
            "/dev/null",
            "-T",
            str(part),
            f"{minimal_url}/{name}/{n * api.PART_SIZE}{'' if hashing else '?hash=none'}",
        ]
    start = time.perf_counter()
    subprocess.run(["curl", *args], check=True)
    return time.perf_counter() - start


_FREED = os.urandom(1 << 20)


def free_page_cache(work: Path, mb: int = 600) -> None:
    """Write and delete a file, so that the next writer gets recently used pages, as on a machine whose
    memory has long been in use (see --warm)."""
    junk = work / "junk"
    with open(junk, "wb") as fh:
        for _ in range(mb):
            fh.write(_FREED)
    junk.unlink()


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by a running process, or by this one (all its threads,
    the static endpoint's among them) when pid is None."""
    if pid is None:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def finished_children_cpu() -> float:
    """CPU seconds of the child processes that have ended (the curl runs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def bench_blobs(
    work: Path,
    servers: dict[str, int | None],
    url: str,
    ref_url: str,
    ref_dir: Path,
    minimal_url: str,
    mb: int,
    rounds: int,
    warm: bool,
) -> None:
    token = login(url, "bench")
    space = requests.post(
        url + api.SPACES, json={"name": "bench"}, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()["id"]
    size = mb * 1_000_000
    blob = work / "blob.bin"
    blob.write_bytes(os.urandom(size))
    shutil.copy(blob, ref_dir / "blob.bin")
    parts_dir = work / "parts"
    parts_dir.mkdir()
    parts: list[Path] = []
    with open(blob, "rb") as source:
        for n in range(1, api.part_count(size) + 1):
            data = source.read(api.PART_SIZE)
            path = parts_dir / f"{n:05d}-{part_checksum(data).hexdigest()}"
            path.write_bytes(data)
            parts.append(path)
    times: dict[str, list[float]] = {
        "ref_up": [],
        "api_up": [],
        "api_up_parallel": [],
        "client_up": [],
        "minimal_up": [],
        "minimal_nohash_up": [],
        "ref_down": [],
        "api_down": [],
    }
    sources = client_sources(blob, work, rounds)
    uploaded: list[str] = []
    idle = rss(servers["api"])

    def api_up(i: int, parallel: int) -> float:
        sha = _vary(parts, 2 * i + parallel)
        uploaded.append(sha)
        return api_upload(url, token, space, parts, sha, size, parallel)

    uploads: dict[str, Callable[[int], float]] = {
        "ref_up": lambda i: curl("-T", str(blob), f"{ref_url}/upload-{i}.bin"),
        "api_up": lambda i: api_up(i, 1),
        "api_up_parallel": lambda i: api_up(i, 2),
        "client_up": lambda i: client_upload(url, token, space, sources[i]),
        "minimal_up": lambda i: minimal_upload(minimal_url, parts, f"blob-{i}"),
        "minimal_nohash_up": lambda i: minimal_upload(minimal_url, parts, f"plain-{i}", hashing=False),
    }
    names = list(uploads)
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    peaks: dict[str, list[int]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            if warm:
                free_page_cache(work)
            server_pid = servers[_SERVER_OF.get(name, "api")]
            in_process = name == "client_up"
            client_before = process_cpu(None) if in_process else finished_children_cpu()
            server_before = process_cpu(server_pid)
            with PeakRss(server_pid) as peak:
                times[name].append(uploads[name](i))
            peaks[name].append(peak.peak)
            server_used = process_cpu(server_pid) - server_before
            client_used = (process_cpu(None) if in_process else finished_children_cpu()) - client_before
            cpu[name].append((client_used, server_used))
        downloads = [
            ("ref_down", (ref_url + "/blob.bin",)),
            (
                "api_down",
                ("-H", f"Authorization: Bearer {token}", url + api.BLOB.format(sha256=uploaded[-1])),
            ),
        ]
        for name, args in downloads[:: 1 if i % 2 == 0 else -1]:
            times[name].append(curl(*args))
    med = {k: statistics.median(v) for k, v in times.items()}
    for kind in ("up", "down"):
        ref_rate = size / med[f"ref_{kind}"] / 1e6
        api_rate = size / med[f"api_{kind}"] / 1e6
        print(
            f"blob {'upload' if kind == 'up' else 'download'} {mb} MB: API {api_rate:7.1f} MB/s, "
            f"static endpoint {ref_rate:7.1f} MB/s, ratio {api_rate / ref_rate:.2f} (target >= 0.8)"
        )
    ref_up_rate = size / med["ref_up"] / 1e6
    for name, what, against in _AGAINST_STATIC:
        rate = size / med[name] / 1e6
        print(f"blob upload {mb} MB{what} {rate:7.1f} MB/s, ratio {rate / ref_up_rate:.2f} {against}")
    print(
        f"server peak RSS during a {mb} MB upload, highest of {rounds} (idle before: {idle / 2**20:.0f} MiB):"
    )
    for name in names:
        if peaks[name] and max(peaks[name]):
            print(f"  {_UPLOAD_LABELS[name]:<28} {max(peaks[name]) / 2**20:7.0f} MiB")
    print(f"CPU seconds per {mb} MB upload, median (client + server = total; wall):")
    for name in names:
        client = statistics.median(c for c, _ in cpu[name])
        server = statistics.median(s for _, s in cpu[name])
        print(
            f"  {_UPLOAD_LABELS[name]:<28} {client:.3f} + {server:.3f} = {client + server:.3f} s; "
            f"wall {med[name]:.3f} s"
        )


_AGAINST_STATIC = (
    ("api_up_parallel", ", 2 parts at a time: API", "to the single-stream static endpoint"),
    (
        "client_up",
        " by the studio's sync client (transfer.upload_blobs):",
        "to the static endpoint (target >= 0.8)",
    ),
    (
        "minimal_up",
        " to bench/_minimal_receiver.py (uvicorn, SHA-256 and write only):",
        "to the static endpoint",
    ),
    ("minimal_nohash_up", " to bench/_minimal_receiver.py without the SHA-256:", "to the static endpoint"),
)
"""The other uploads, each printed as its rate and its ratio to the single-stream static endpoint."""

_UPLOAD_LABELS = {
    "ref_up": "static endpoint (curl)",
    "api_up": "API, one part at a time",
    "api_up_parallel": "API, two parts at a time",
    "client_up": "studio sync client",
    "minimal_up": "minimal receiver",
    "minimal_nohash_up": "minimal receiver, no SHA-256",
}
_SERVER_OF = {"ref_up": "ref", "minimal_up": "minimal", "minimal_nohash_up": "minimal"}


def rss(pid: int | None) -> int:
    """Resident memory of a process in bytes (0 where /proc is not there, or for the in-process server)."""
    if pid is None:
        return 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakRss:
    """The highest RSS of a process while the block runs, sampled every 5 ms on a thread."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self._stop.wait(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pid))


def bench_hidden(url: str, rounds: int = 400) -> None:
    """GET a blob that exists but is hidden from the caller, and one that does not exist, alternately."""
    owner, stranger = login(url, "hidden-owner"), login(url, "hidden-stranger")
    space = requests.post(
        url + api.SPACES, json={"name": "hidden"}, headers={"Authorization": f"Bearer {owner}"}, timeout=30
    ).json()["id"]
    client = ApiClient(url, owner)
    data = os.urandom(4096)
    sha = hashlib.sha256(data).hexdigest()
    source = Path(tempfile.mkdtemp(prefix="studio-hidden-")) / "blob.bin"
    source.write_bytes(data)
    upload_blobs(client, space, [BlobSource(sha, len(data), source)])
    client.close()
    missing = hashlib.sha256(b"nobody has this").hexdigest()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stranger}"
    times: dict[str, list[float]] = {"hidden": [], "missing": []}
    for i in range(rounds):
        for name, blob in (("hidden", sha), ("missing", missing))[:: 1 if i % 2 == 0 else -1]:
            started = time.perf_counter()
            status = session.get(url + api.BLOB.format(sha256=blob), timeout=30).status_code
            times[name].append(time.perf_counter() - started)
            assert status == 404, status
    hidden, absent = (statistics.median(times[k]) * 1000 for k in ("hidden", "missing"))
    print(
        f"404 for a hidden blob {hidden:.3f} ms, for a missing one {absent:.3f} ms "
        f"(median of {rounds} each, alternated): ratio {hidden / absent:.2f} (target 1.00 +- 0.05)"
    )
    shutil.rmtree(source.parent)


def _vary(parts: list[Path], marker: int) -> str:
    """Give the first part new leading bytes, so that every upload is a new blob; returns its SHA-256."""
    first = bytearray(parts[0].read_bytes())
    first[:8] = marker.to_bytes(8, "big")
    parts[0].write_bytes(first)
    whole = hashlib.sha256(first)
    for part in parts[1:]:
        whole.update(part.read_bytes())
    return whole.hexdigest()


def client_sources(blob: Path, work: Path, rounds: int) -> list[BlobSource]:
    """One variant of the blob per round for the studio's client, written and hashed before any timing (the
    hash is not timed, as curl's reference does not hash either)."""
    data = bytearray(blob.read_bytes())
    sources = []
    for i in range(rounds):
        data[16:24] = i.to_bytes(8, "big")
        path = work / f"client-{i}.bin"
        path.write_bytes(data)
        sources.append(BlobSource(hashlib.sha256(data).hexdigest(), len(data), path))
    return sources


def client_upload(url: str, token: str, space: str, source: BlobSource) -> float:
    """Upload one variant with the client the studio itself uses."""
    with ApiClient(url, token) as client:
        start = time.perf_counter()
        upload_blobs(client, space, [source])
        return time.perf_counter() - start


def bench_feed(url: str, records: int) -> None:
    token = login(url, "feedbench")
    headers = {"Authorization": f"Bearer {token}"}
    session = requests.Session()
    session.headers.update(headers)
    space = session.post(url + api.SPACES, json={"name": "feed"}).json()["id"]
    batch = api.MAX_CHANGES_PER_PUSH
    for start in range(0, records, batch):
        changes: list[dict[str, Any]] = [
            {
                "change_id": f"bench-{i:08d}",
                "kind": "clip",
                "id": f"clip{i}",
                "base_rev": None,
                "fields": {
                    "title": f"Clip {i}",
                    "kind": "video",
                    "tags": ["bench"],
                    "licence": "CC-BY-4.0",
                    "credits": [{"name": "Ann", "role": "camera"}],
                },
            }
            for i in range(start, min(records, start + batch))
        ]
        session.post(url + api.CHANGES.format(space_id=space), json={"changes": changes}).raise_for_status()
    full, requests_made, entries, cursor = bare_pull(url, token, space, None)
    print(
        f"feed full pull of {records} records: {entries} entries in {requests_made} requests, "
        f"{full * 1000:.0f} ms"
    )
    samples = []
    for _ in range(30):
        t = time.perf_counter()
        page = session.get(url + api.FEED.format(space_id=space), params={"cursor": cursor}).json()
        samples.append(time.perf_counter() - t)
        assert page["entries"] == [] and not page["more"]
    print(
        f"feed incremental pull with nothing new: 1 request, "
        f"median {statistics.median(samples) * 1000:.1f} ms, "
        f"max {max(samples) * 1000:.1f} ms (target < 50 ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument(
        "--warm",
        action="store_true",
        help="free 600 MB of page cache before each upload, so that every writer gets recently used pages "
        "(a long-running machine); without it, writes may land in never-touched memory, which a virtual "
        "machine charges several times more for",
    )
    args = parser.parse_args()
    if shutil.which("curl") is None:
        print("bench/server.py needs curl on PATH (the reference client for both sides)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        work = Path(tmp)
        ref_dir = work / "static"
        ref_dir.mkdir()
        httpd, ref_url = start_reference(ref_dir)
        proc, url = start_server(work)
        minimal, minimal_url = start_minimal(work / "minimal")
        try:
            servers = {"ref": None, "api": proc.pid, "minimal": minimal.pid}
            bench_blobs(work, servers, url, ref_url, ref_dir, minimal_url, args.mb, args.rounds, args.warm)
            bench_feed(url, args.records)
            bench_hidden(url)
        finally:
            for child in (proc, minimal):
                child.terminate()
                child.wait(timeout=30)
            httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
