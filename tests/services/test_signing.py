"""Signed credits end to end: a real server (its own CA), a device logged in over HTTP, exports signed
as their last write, and c2pa-python's Reader with the server's root as its only trust anchor saying
Trusted. Then what must fail: an edited tag, XMP or byte, a certificate from another server, no login."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import c2pa
import mutagen
import pytest
import requests

from studio.core.clips import Clip
from studio.core.paths import config_dir
from studio.core.projectfile import save_project_file
from studio.media.provenance import CREDITS_LABEL, detached_path
from studio.protocol import api
from studio.services import sync as sync_service
from studio.services.export import export_timeline
from studio.services.signing import verify_credits
from studio.sync.certificates import SigningIdentity
from tests import mediagen
from tests.deps import missing_dependency
from tests.media.test_render_plan import clip_for, clip_map, timeline
from tests.server.conftest import ServerProcess, unique

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
EMBEDDED = {
    "mp4": "video/mp4", "m4a": "audio/mp4", "mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac"
}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    home = ServerProcess(tmp_path_factory.mktemp("home-server")).start()
    other = ServerProcess(tmp_path_factory.mktemp("other-server")).start()
    yield home, other
    home.stop()
    other.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("signing-media")
    return {
        "video": mediagen.make_video(folder / "harbour.mp4", 1, size="160x120"),
        "music": mediagen.make_audio(folder / "gulls.wav", 1, frequency=660),
    }


def project(folder: Path, media: dict[str, Path]) -> Path:
    video = clip_for(media["video"], credits=("Ann Lee",), licence="CC-BY-4.0")
    return one_second_project(folder, "harbour", "Harbour", video, media)


def remix_project(folder: Path, piece: Path, credit: str, media: dict[str, Path]) -> Path:
    """A one-second project remixing `piece` (credited to `credit`) over the gulls' sound."""
    remix_clip = clip_for(piece, credits=(credit,), licence="CC-BY-4.0")
    return one_second_project(folder, "remix", "Remix", remix_clip, media)


def one_second_project(folder: Path, name: str, title: str, picture: Clip, media: dict[str, Path]) -> Path:
    """`folder/NAME.studio`: one second of `picture` on V1 over the gulls' sound (credited to Bo) on A1."""
    music = clip_for(media["music"], credits=("Bo",), licence="CC0-1.0")
    tl = timeline([("V1", [dict(clip=picture, start=0, duration=1)]),
                   ("A1", [dict(clip=music, start=0, duration=1)])], size=(160, 120))
    path = folder / f"{name}.studio"
    save_project_file(path, f"p-{name}", title, tl, clip_map(picture, music))
    return path


def root_of(server: ServerProcess) -> str:
    return requests.get(server.url + api.CA, timeout=30).text


def reader(path: Path, anchors: str, manifest: bytes | None = None) -> tuple[str, dict[str, Any]]:
    """c2pa-python's own verdict and manifest store, trusting only `anchors`."""
    settings = c2pa.Settings.from_dict(
        {"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors}}
    )
    mime = EMBEDDED.get(path.suffix[1:], "video/webm")
    with open(path, "rb") as fh, c2pa.Reader(
        mime, fh, manifest_data=manifest, context=c2pa.Context(settings)
    ) as found:
        return str(found.get_validation_state()), json.loads(found.json())


@contextlib.contextmanager
def as_user(dirs: dict[str, str]) -> Iterator[None]:
    """Run as the machine whose folders are `dirs` (module fixtures outlive the per-test folders)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in dirs.items():
            mp.setenv(key, value)
        yield


@pytest.fixture(scope="module")
def signed(
    servers: tuple[ServerProcess, ServerProcess],
    media: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Exports made while logged in to the home server, in every format that is signed."""
    home, _ = servers
    folder = tmp_path_factory.mktemp("signed")
    base = tmp_path_factory.mktemp("ann-home")
    dirs = {f"STUDIO_{k}_DIR": str(base / k.lower()) for k in ("DATA", "CONFIG", "CACHE")}
    user = unique("ann")
    with as_user(dirs):
        sync_service.signup(home.url, user, PASSWORD)
        path = project(folder, media)
        formats = [*EMBEDDED, "webm", "ogg"]
        results = {fmt: export_timeline(path, folder / f"harbour.{fmt}", exported=WHEN) for fmt in formats}
        key_mode = stat.S_IMODE((config_dir() / "signing-key.pem").stat().st_mode)
    return {"user": user, "results": results, "folder": folder, "key_mode": key_mode, "dirs": dirs}


@pytest.mark.parametrize("fmt", list(EMBEDDED))
def test_c2pa_reader_trusts_exports_signed_by_the_server_ca(
    signed: dict[str, Any], servers: tuple[ServerProcess, ServerProcess], fmt: str
) -> None:
    result = signed["results"][fmt]
    assert result.signed_by == signed["user"] and result.manifest is None
    assert not [w for w in result.warnings if "unsigned" in w]
    state, store = reader(result.path, root_of(servers[0]))
    assert state == "Trusted"
    active = store["manifests"][store["active_manifest"]]
    credits = next(a["data"] for a in active["assertions"] if a["label"] == CREDITS_LABEL)
    assert credits == result.block
    labels = [a["label"] for a in active["assertions"]]
    assert any(label.startswith("c2pa.actions") for label in labels)
    assert sorted(i["title"] for i in active["ingredients"]) == ["gulls", "harbour"]
    assert {i["relationship"] for i in active["ingredients"]} == {"componentOf"}
    assert active["signature_info"]["common_name"] == signed["user"]


def test_the_plain_tags_stay_readable_after_signing(signed: dict[str, Any]) -> None:
    for fmt in EMBEDDED:
        out = signed["results"][fmt].path
        assert mediagen.ffmetadata(out)["title"] == "Harbour", fmt
        assert mutagen.File(out) is not None, fmt


def test_the_device_key_is_private_and_never_sent(signed: dict[str, Any]) -> None:
    assert signed["key_mode"] == 0o600


@pytest.mark.parametrize("fmt", ["webm", "ogg"])
def test_webm_and_ogg_get_a_detached_manifest(
    signed: dict[str, Any], servers: tuple[ServerProcess, ServerProcess], fmt: str
) -> None:
    result = signed["results"][fmt]
    assert result.manifest == detached_path(result.path) and result.manifest.is_file()
    state, store = reader(result.path, root_of(servers[0]), result.manifest.read_bytes())
    assert state == "Trusted" and len(store["manifests"]) == 1
    assert verify_credits(result.path, anchors=root_of(servers[0])).state == "trusted"


def test_a_remix_of_a_signed_piece_holds_two_manifests(
    signed: dict[str, Any], servers: tuple[ServerProcess, ServerProcess], media: dict[str, Path]
) -> None:
    folder = signed["folder"]
    path = remix_project(folder, signed["results"]["mp4"].path, "Ann Lee", media)
    with as_user(signed["dirs"]):
        out = export_timeline(path, folder / "remix.m4a", exported=WHEN).path
    state, store = reader(out, root_of(servers[0]))
    assert state == "Trusted" and len(store["manifests"]) == 2
    active = store["manifests"][store["active_manifest"]]
    parents = [i for i in active["ingredients"] if i["relationship"] == "parentOf"]
    assert len(parents) == 1 and parents[0]["title"] == "harbour" and parents[0]["active_manifest"]
    nested = store["manifests"][parents[0]["active_manifest"]]
    nested_credits = next(a["data"] for a in nested["assertions"] if a["label"] == CREDITS_LABEL)
    assert nested_credits["work"]["title"] == "Harbour"


def _copy(src: Path, folder: Path, name: str) -> Path:
    dst = folder / name
    shutil.copyfile(src, dst)
    return dst


def studio_cli(dirs: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`studio ARGS...` on the machine whose folders are `dirs` (logged in or not)."""
    return subprocess.run(
        [sys.executable, "-m", "studio.cli.main", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **dirs},
    )


def cli_verify(path: Path, dirs: dict[str, str], *, as_json: bool = True) -> subprocess.CompletedProcess[str]:
    """`studio credits PATH --verify` on the machine whose folders are `dirs`."""
    return studio_cli(dirs, "credits", str(path), "--verify", *(["--json"] * as_json))


def test_verify_cli_says_trusted_with_the_signer(signed: dict[str, Any]) -> None:
    done = cli_verify(signed["results"]["flac"].path, signed["dirs"])
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["state"] == "trusted" and doc["signer"] == signed["user"]
    text = cli_verify(signed["results"]["wav"].path, signed["dirs"], as_json=False)
    assert text.returncode == 0 and "Trusted" in text.stdout and signed["user"] in text.stdout


@pytest.mark.parametrize("fmt", ["mp4", "mp3", "flac"])
def test_an_edited_tag_fails_verification(signed: dict[str, Any], tmp_path: Path, fmt: str) -> None:
    out = _copy(signed["results"][fmt].path, tmp_path, f"edited.{fmt}")
    tags = mutagen.File(out, easy=True)
    tags["title"] = ["Not the title"]
    tags.save()
    done = cli_verify(out, signed["dirs"])
    assert done.returncode != 0 and json.loads(done.stdout)["state"] == "tampered"


def test_an_edited_xmp_fails_verification(signed: dict[str, Any], tmp_path: Path) -> None:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        missing_dependency("exiftool is not on PATH here (CI installs it)")
    out = _copy(signed["results"]["mp4"].path, tmp_path, "xmp.mp4")
    subprocess.run([exiftool, "-overwrite_original", "-XMP-dc:Title=Forged", str(out)], check=True,
                   capture_output=True)
    done = cli_verify(out, signed["dirs"])
    assert done.returncode != 0 and json.loads(done.stdout)["state"] == "tampered"


@pytest.mark.parametrize("fmt", ["wav", "m4a", "webm"])
def test_a_changed_byte_fails_verification(signed: dict[str, Any], tmp_path: Path, fmt: str) -> None:
    src = signed["results"][fmt].path
    out = _copy(src, tmp_path, f"byte.{fmt}")
    if fmt == "webm":
        shutil.copyfile(detached_path(src), detached_path(out))
    data = bytearray(out.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01  # inside the media data
    out.write_bytes(bytes(data))
    done = cli_verify(out, signed["dirs"])
    assert done.returncode != 0 and json.loads(done.stdout)["state"] == "tampered", done.stdout


def test_an_unsigned_file_says_so(signed: dict[str, Any], media: dict[str, Path]) -> None:
    done = cli_verify(media["music"], signed["dirs"])
    assert done.returncode != 0 and json.loads(done.stdout)["state"] == "unsigned"


def test_a_certificate_from_another_server_is_untrusted(
    servers: tuple[ServerProcess, ServerProcess], media: dict[str, Path], tmp_path: Path
) -> None:
    home, other = servers
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    stranger = unique("eve")
    requests.post(other.url + api.ACCOUNTS, json={"username": stranger, "password": PASSWORD}, timeout=30)
    token = requests.post(
        other.url + api.TOKENS,
        json={"username": stranger, "password": PASSWORD, "device_name": "x"},
        timeout=30,
    ).json()["token"]
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, stranger)])
    ).sign(key, hashes.SHA256())
    chain = requests.post(
        other.url + api.CERTIFICATES,
        json={"csr": csr.public_bytes(serialization.Encoding.PEM).decode()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["chain"]
    identity = SigningIdentity(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        chain,
        stranger,
        other.url,
    )
    path = project(tmp_path, media)
    out = export_timeline(path, tmp_path / "elsewhere.mp3", exported=WHEN, signing=identity).path
    state, _ = reader(out, root_of(home))
    assert state != "Trusted"
    verdict = verify_credits(out, anchors=root_of(home))
    assert verdict.state == "untrusted" and verdict.signer == stranger
    assert verify_credits(out, anchors=root_of(other)).state == "trusted"


def test_without_a_login_the_export_is_unsigned_and_says_so(media: dict[str, Path], tmp_path: Path) -> None:
    result = export_timeline(project(tmp_path, media), tmp_path / "plain.mp4", exported=WHEN)
    assert result.signed_by == "" and any("unsigned: not logged in" in w for w in result.warnings)
    assert verify_credits(result.path, anchors=None).state == "unsigned"
