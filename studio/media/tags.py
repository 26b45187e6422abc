"""Credits embedded in exported files: a human-readable part every player shows and the exact
`studio-credits/1` block that makes credits transitive through remixes of remixes.

Embedding is a stream-copy remux (`-map_metadata -1`, then `-metadata` for the human fields) to a
temp file beside the original, the machine fields added with mutagen (or ffmpeg for Matroska, which
mutagen cannot write), then a rename: the decoded picture and sound never change, and a failure at
any step leaves the original file as it was. Per-container details live in tags_mp4, tags_id3,
tags_vorbis and tags_mkv.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text, fsync_dir
from studio.core.cancel import CancelToken
from studio.core.credits import validate_block
from studio.core.errors import InvalidInput, MediaError
from studio.media import tags_id3, tags_mkv, tags_mp4, tags_vorbis
from studio.media.ffmpeg import ffmpeg_path, run_ffmpeg
from studio.protocol import schemas

CREDITS_SCHEMA = "studio-credits/1"
_ARG_LIMIT = 120_000  # bytes; Linux refuses a single argument over 128 KiB
_CONTROL = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}


@dataclass(frozen=True, slots=True)
class HumanFields:
    """The credits as people read them in a player or file browser."""

    title: str
    artist: str
    composer: str
    copyright: str
    comment: str
    description: str
    licence: str
    licence_url: str
    involved: tuple[tuple[str, str], ...]
    source_clips: str
    attribution: str = ""


def sanitize(text: object) -> str:
    """User text made safe for a tag and an ffmpeg argument: no NUL or control characters, newlines
    as \\n, no unpaired surrogates. Quotes, semicolons and every script pass through unchanged."""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)
    return value.encode("utf-8", "replace").decode("utf-8")


def credits_json(block: dict[str, Any]) -> str:
    """The compact, canonical JSON form of a credits block (UTF-8, sorted keys, no whitespace)."""
    try:
        text = json.dumps(block, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"the credits block cannot be written as JSON: {exc}") from exc
    return text


def percent(share_bp: int) -> str:
    """Basis points as a percentage without float noise: 3333 -> "33.33 %", 5000 -> "50 %"."""
    whole, frac = divmod(share_bp, 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".") + " %"


def human_fields(block: dict[str, Any]) -> HumanFields:
    """Derive the human-readable tags from a block; contributors in share order (largest first)."""
    work = block["work"]
    people = sorted(
        block["contributors"],
        key=lambda p: (-p["share_bp"], sanitize(p["name"]).casefold(), str(p.get("id", ""))),
    )
    names = [sanitize(p["name"]) for p in people]
    title = sanitize(work.get("title", ""))
    licence = sanitize(work.get("licence") or "")
    licence_url = sanitize(work.get("licence_url") or "")
    exported = str(work.get("exported") or "")
    year = exported[:4] if exported[:4].isdigit() else ""
    holder = " ".join(part for part in (year, ", ".join(names)) if part)
    copyright_text = f"© {holder}" + (f" — {licence}" if licence else "")
    lines = []
    for person, name in zip(people, names, strict=True):
        roles = ", ".join(sanitize(r) for r in person.get("roles", []))
        lines.append(
            f"{name} — {roles} ({percent(person['share_bp'])})"
            if roles
            else f"{name} ({percent(person['share_bp'])})"
        )
    composers = [
        name
        for person, name in zip(people, names, strict=True)
        if {"composer", "music"} & set(person.get("roles", []))
    ]
    clips = [str(s.get("clip", "")) for s in block.get("sources", []) if s.get("clip")]
    count = len(clips)
    description = f"{title} — made with Remix Studio from {count} source clip{'' if count == 1 else 's'}."
    if licence:
        description += f" Licence: {licence}" + (f" ({licence_url})" if licence_url else "") + "."
    attribution = [sanitize(line) for line in block.get("attribution", [])]
    if attribution:
        description += "\nAttribution:\n" + "\n".join(attribution)
    involved = tuple(
        (sanitize(role), name)
        for person, name in zip(people, names, strict=True)
        for role in person.get("roles", [])
    )
    return HumanFields(
        title=title,
        artist="; ".join(names),
        composer="; ".join(composers),
        copyright=copyright_text,
        comment="\n".join(lines),
        description=description,
        licence=licence,
        licence_url=licence_url,
        involved=involved,
        source_clips=json.dumps(list(dict.fromkeys(clips)), separators=(",", ":")),
        attribution="\n".join(attribution),
    )


def container_family(path: Path) -> str | None:
    """ "mp4", "mov", "id3" (MP3), "wav", "vorbis" (FLAC, Ogg Vorbis, Opus) or "mkv" (MKV, WebM) from
    the file's content; None for media that cannot carry credits. MediaError if not media at all."""
    from studio.media.probe import open_container

    path = Path(path)
    with open_container(path) as container:
        name = container.format.name
    if name.startswith("mov,mp4"):
        return "mov" if path.suffix.lower() in (".mov", ".qt") else "mp4"
    return {"mp3": "id3", "wav": "wav", "flac": "vorbis", "ogg": "vorbis", "matroska,webm": "mkv"}.get(name)


def _muxer(family: str, path: Path) -> str:
    suffix = path.suffix.lower()
    if family == "mp4":
        return "ipod" if suffix in (".m4a", ".m4b") else "mp4"
    if family == "vorbis":
        if _is_flac(path):
            return "flac"
        return "opus" if suffix == ".opus" else "ogg"
    return {"mov": "mov", "id3": "mp3", "wav": "wav", "mkv": "webm" if suffix == ".webm" else "matroska"}[
        family
    ]


def embed_credits(path: Path, block: dict[str, Any], *, cancel: CancelToken | None = None) -> None:
    """Write the credits into `path` in place, atomically (temp file + rename)."""
    path = Path(path)
    text = credits_json(validate_block(block))
    fields = human_fields(block)
    family = container_family(path)
    if family is None:
        raise MediaError(
            f"{path}: this container cannot carry credits (use MP4, MOV, M4A, MP3, WAV, FLAC, "
            "Ogg, Opus, MKV or WebM)"
        )
    muxer = _muxer(family, path)
    tags = _ffmpeg_tags(family, fields, text)
    args = ["-i", ffmpeg_path(path), "-map", "0", "-ignore_unknown", "-c", "copy", "-map_metadata", "-1"]
    args += ["-fflags", "+bitexact"]
    if family in ("mp4", "mov"):
        args += ["-movflags", "+faststart"]
    if family == "id3":
        args += ["-id3v2_version", "0"]
    for key, value in tags.items():
        arg = f"{key}={value}"
        if len(arg.encode("utf-8")) > _ARG_LIMIT:
            raise MediaError(
                f"{path}: the {key} tag is too large to embed ({len(arg.encode('utf-8'))} bytes)"
            )
        args += ["-metadata", arg]
    args += ["-f", muxer]
    work = path.with_name(f".{path.stem}.credits{secrets.token_hex(4)}{path.suffix}")
    try:
        run_ffmpeg(args, cancel=cancel, output=work)
        if family in ("mp4", "mov"):
            tags_mp4.write_machine(work, fields, text, mov=family == "mov")
        elif family in ("id3", "wav"):
            tags_id3.write_all(work, fields, text, wav=family == "wav")
        elif family == "vorbis":
            tags_vorbis.write_machine(work, fields, text)
        if cancel is not None:
            cancel.raise_if_cancelled()
        os.chmod(work, stat.S_IMODE(path.stat().st_mode))
        with open(work, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(work, path)
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            work.unlink()


def _is_flac(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"fLaC"


def _ffmpeg_tags(family: str, fields: HumanFields, text: str) -> dict[str, str]:
    if family in ("mp4", "mov"):
        return tags_mp4.ffmpeg_tags(fields)
    if family == "vorbis":
        return tags_vorbis.ffmpeg_tags(fields)
    if family == "mkv":
        return tags_mkv.ffmpeg_tags(fields, text)
    return {}


def read_credits(path: Path) -> dict[str, Any] | None:
    """The studio-credits block embedded in `path`, or None if it carries none.

    MediaError if the file is missing, not media, or carries a malformed CREDITS_JSON.
    """
    path = Path(path)
    family = container_family(path)
    if family is None:
        return None
    try:
        text = _read_text(family, path)
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"{path}: its tags cannot be read ({exc})") from exc
    if text is None:
        return None
    return parse_credits(path, text)


def _read_text(family: str, path: Path) -> str | None:
    if family in ("mp4", "mov"):
        return tags_mp4.read_text(path)
    if family in ("id3", "wav"):
        return tags_id3.read_text(path, wav=family == "wav")
    if family == "vorbis":
        return tags_vorbis.read_text(path)
    return tags_mkv.read_text(path)


def parse_credits(path: Path, text: str) -> dict[str, Any]:
    """Parse a CREDITS_JSON value read from `path`; MediaError naming the file if malformed."""
    try:
        block = json.loads(text)
    except ValueError as exc:
        raise MediaError(f"{path} carries a malformed CREDITS_JSON tag (not JSON: {exc})") from exc
    if not isinstance(block, dict):
        raise MediaError(f"{path} carries a malformed CREDITS_JSON tag (not a JSON object)")
    if block.get("schema") != CREDITS_SCHEMA:
        raise MediaError(
            f"{path} carries a CREDITS_JSON tag of schema {block.get('schema')!r}, "
            f"expected {CREDITS_SCHEMA!r}"
        )
    problem = schemas.first_problem(schemas.CREDITS, block)
    if problem:
        raise MediaError(f"{path} carries a malformed CREDITS_JSON tag (credits block {problem})")
    try:
        validate_block(block)
    except InvalidInput as exc:
        raise MediaError(f"{path} carries a malformed CREDITS_JSON tag ({exc})") from exc
    return block


def read_human(path: Path) -> dict[str, str]:
    """The human-readable credit tags of `path` as the studio writes them (keys as in HumanFields)."""
    path = Path(path)
    family = container_family(path)
    if family in ("mp4", "mov"):
        return tags_mp4.read_human(path)
    if family in ("id3", "wav"):
        return tags_id3.read_human(path, wav=family == "wav")
    if family == "vorbis":
        return tags_vorbis.read_human(path)
    if family == "mkv":
        return tags_mkv.read_human(path)
    return {}


def expected_human(path: Path, block: dict[str, Any]) -> dict[str, str]:
    """The human-readable tags that embed_credits writes into a file like `path`."""
    family = container_family(path)
    fields = human_fields(block)
    if family in ("mp4", "mov"):
        return tags_mp4.expected_human(fields)
    if family in ("id3", "wav"):
        return tags_id3.expected_human(fields)
    if family == "vorbis":
        return tags_vorbis.expected_human(fields)
    if family == "mkv":
        return tags_mkv.expected_human(fields)
    return {}


def verify_embedded(path: Path, block: dict[str, Any]) -> None:
    """Re-read `path` and raise MediaError unless it carries exactly `block` and its human fields."""
    path = Path(path)
    found = read_credits(path)
    if found is None:
        raise MediaError(f"{path} carries no credits after embedding")
    if credits_json(found) != credits_json(block):
        raise MediaError(f"{path}: the embedded credits differ from the ones written")
    actual = read_human(path)
    wrong = [key for key, value in expected_human(path, block).items() if actual.get(key) != value]
    if wrong:
        raise MediaError(f"{path}: embedded tags differ from the ones written: {', '.join(sorted(wrong))}")


def credits_sidecar_path(out: Path) -> Path:
    """`piece.mp4` -> `piece.mp4.credits.json` (the full file name, so exports of several formats
    side by side keep their own sidecars)."""
    out = Path(out)
    return out.with_name(f"{out.name}.credits.json")


def write_sidecar(out: Path, block: dict[str, Any]) -> Path:
    """Write `<name>.credits.json`: the block plus export_sha256 of the final file bytes, atomically."""
    from studio.media.hashing import sha256_file

    out = Path(out)
    doc = dict(validate_block(block))
    doc["export_sha256"] = sha256_file(out)
    side = credits_sidecar_path(out)
    atomic_write_text(side, json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
    return side
