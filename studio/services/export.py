"""Export: a timeline rendered to a file that carries its credits, with a sidecar, verified.

Pipeline: resolve the timeline (a project in the local store by name or id, a project file, or an
.otio) -> snapshot -> check its media -> credits block -> optional credits roll appended -> render
(one ffmpeg process) -> embed the credits -> re-read and verify -> move into place -> sidecar
`<name>.credits.json` with `export_sha256` of the final bytes -> re-read the sidecar.

The render and the tags go to a temp file beside the output that is renamed only once the embedded
credits read back exactly, so the output path never holds an untagged or partial file, whatever
fails or is cancelled.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip
from studio.core.credits import WEIGHTED_TIME, compute_credits
from studio.core.errors import InvalidInput, MediaError, NotFound
from studio.core.fractional_index import key_between
from studio.core.licences import NO_LICENCE  # noqa: F401  (re-exported: "no licence was stated")
from studio.core.licences import licence_url as cc_url
from studio.core.paths import cache_dir
from studio.core.spans import cut_to_span
from studio.core.timeline import VIDEO, Item, Timeline, Track, new_id
from studio.media.formats import FORMAT_NAMES as FORMAT_NAMES  # the output formats, for the front ends
from studio.media.formats import OutputFormat, format_for_path
from studio.media.output_guard import check_output, family_of_muxer, keep_mode, temp_name
from studio.media.render_plan import RenderPlan
from studio.protocol import schemas
from studio.services.licensing import require_licences
from studio.services.signing import AUTO, sign_export
from studio.services.signing import resolve as resolve_signing
from studio.sync.certificates import SigningIdentity

ROLL_SECONDS = Fraction(5)
SIDECAR_SUFFIX = ".credits.json"  # as studio.media.tags.sidecar_path names it
_RENDER_SHARE = 0.9  # of the progress bar; the credits roll and the tags share the rest


@dataclass
class ResolvedTimeline:
    """A timeline to export with the clips its items use, and what names the work."""

    timeline: Timeline
    clips: dict[str, Clip]
    work_id: str
    name: str
    warnings: list[str] = field(default_factory=list)
    source: Path | None = None  # the timeline file it was read from, which an export must not replace
    commercial_space: str = ""  # the name of the project's space when an owner marked it for commercial work


@dataclass(frozen=True)
class ExportResult:
    """A finished export: the file, its sidecar, the embedded block and what was rendered."""

    path: Path
    sidecar: Path
    block: dict[str, Any]
    duration: Fraction
    format: str
    command: list[str]
    warnings: list[str] = field(default_factory=list)
    signed_by: str = ""
    manifest: Path | None = None
    render: dict[str, Any] = field(default_factory=lambda: {"path": "full"})

    def summary(self) -> dict[str, Any]:
        """What `studio render --json` prints."""
        return {
            "path": str(self.path),
            "sidecar": str(self.sidecar),
            "duration": round(float(self.duration), 3),
            "format": self.format,
            "title": self.block["work"]["title"],
            "licence": self.block["work"]["licence"],
            "contributors": [
                {"name": c["name"], "roles": c["roles"], "share_bp": c["share_bp"]}
                for c in self.block["contributors"]
            ],
            "warnings": self.warnings,
            "signed_by": self.signed_by,
            "render": self.render,
        }


# --- resolving TIMELINE ---------------------------------------------------------------------------


def resolve_timeline(ref: str | Path, *, store: Any = None) -> ResolvedTimeline:
    """TIMELINE as the CLI takes it: an .otio file, a project file, or a project's name or id.

    `store` is an open local store (studio.core.store.Store); the default one is opened when needed.
    """
    path = Path(ref)
    if path.suffix.lower() == ".otio" or path.is_file():
        return _from_file(path)
    if store is not None:
        return _from_store(store, str(ref))
    from studio.services.projects import open_store

    with open_store() as opened:
        return _from_store(opened, str(ref))


def _from_file(path: Path) -> ResolvedTimeline:
    if not path.is_file():
        raise InvalidInput(f"{path}: no such timeline file")
    if path.suffix.lower() == ".otio":
        from studio.media.hashing import sha256_file
        from studio.services.otio import import_otio

        imported = import_otio(path)
        # the same .otio file is the same work, so its exports share an id
        work_id = "otio-" + sha256_file(path)[:32]
        name = imported.timeline.name or path.stem
        warnings = list(imported.warnings)
        return ResolvedTimeline(imported.timeline, dict(imported.clips), work_id, name, warnings, path)
    from studio.core.projectfile import load_project_file, looks_like_project_file

    if not looks_like_project_file(path):
        raise InvalidInput(f"{path} is neither a project file (.studio) nor an .otio timeline")
    meta_, timeline, clips = load_project_file(path, check=project_schema_problem)
    return ResolvedTimeline(timeline, dict(clips), meta_.id, meta_.name, source=path)


def project_schema_problem(doc: dict[str, Any]) -> str | None:
    """Where a project document breaks the published studio.project/1 schema ('field: fault'), or None."""
    return schemas.first_problem(schemas.PROJECT, doc)


def _from_store(store: Any, ref: str) -> ResolvedTimeline:
    from studio.core.library import get_clip, has_clip
    from studio.services.projects import open_project

    try:
        session = open_project(store, ref)
    except NotFound as exc:
        raise NotFound(f"{exc} (TIMELINE is a project name or id, a project file or an .otio file)") from None
    snapshot = session.snapshot()
    clips = {cid: get_clip(store, cid) for cid in sorted(snapshot.clip_ids()) if has_clip(store, cid)}
    commercial = commercial_space_name(store, session.info.space)
    return ResolvedTimeline(snapshot, clips, session.id, session.name, commercial_space=commercial)


def commercial_space_name(store: Any, space_id: str) -> str:
    """The name of space `space_id` (a project's) when its owner marked it for commercial work, else "":
    read from the local store, as the last sync saw the space listing."""
    from studio.core.spaces import commercial_space_of

    found = commercial_space_of(store, space_id)
    return (found.name or found.id) if found is not None else ""


# --- planning -------------------------------------------------------------------------------------


def plan_export(resolved: ResolvedTimeline, output: Path, fmt: str | None = None) -> RenderPlan:
    """The render command for `resolved` (what `--dry-run` prints); raises on offline media."""
    from studio.media.render import plan_render

    return plan_render(resolved.timeline, resolved.clips, format_for_path(Path(output), fmt))


def output_format(output: Path, fmt: str | None = None) -> str:
    """The name of the format `output` is written in (`fmt`, or its extension's); InvalidInput naming a
    wrong or unknown extension, so a front end can refuse it before any work."""
    return format_for_path(Path(output), fmt).name


@dataclass(frozen=True)
class DryRun:
    """What an export would run: the full-render command (runnable as it is), and which way a real
    render would go (a smart render copies most frames with several ffmpeg runs the command cannot show)."""

    command: list[str]
    duration: Fraction
    format: str
    render: dict[str, Any]


def dry_run(
    resolved: ResolvedTimeline, output: Path, fmt: str | None = None, *, smart: bool = True
) -> DryRun:
    """Plan the export of `resolved` to `output` without rendering it. The title cards the command reads
    are drawn, so the printed command runs as it is."""
    from studio.media.ffmpeg import ffmpeg_exe
    from studio.media.render import draw_title_cards

    plan = plan_export(resolved, output, fmt)
    render = render_path(resolved, plan, smart=smart)
    draw_title_cards(plan)
    return DryRun(plan.command(ffmpeg_exe(), Path(output)), plan.duration, plan.format.name, render)


# --- guarding the output -------------------------------------------------------------------------


def check_export_output(resolved: ResolvedTimeline, output: Path, muxer: str, *, force: bool = False) -> None:
    """Refuse, before any work, an output that would replace an input of this export (a clip's file,
    the timeline file), something in the data folder, a read-only file or, without `force`, a file of
    another kind; the sidecar beside it is held to the same rules."""
    inputs: dict[str, str] = {}
    if resolved.source is not None:
        inputs[str(resolved.source)] = f"the timeline file {resolved.source.name}"
    for clip in resolved.clips.values():
        if clip.path is not None:
            inputs[str(clip.path)] = f"the media of clip {clip.title or clip.id} ({clip.path})"
    check_output(output, writes=family_of_muxer(muxer), inputs=inputs, force=force, sidecar=SIDECAR_SUFFIX)


# --- the pipeline ---------------------------------------------------------------------------------


def export_timeline(
    timeline: str | Path | ResolvedTimeline,
    output: Path,
    *,
    fmt: str | None = None,
    title: str | None = None,
    licence: str | None = None,
    licence_url: str = "",
    editors: Sequence[str] = (),
    method: str = WEIGHTED_TIME,
    pools: Mapping[str, int] | None = None,
    manual: Mapping[str, int] | None = None,
    credits_roll: bool = False,
    span: tuple[Fraction, Fraction] | None = None,
    commercial: bool = False,
    rights_cleared: Sequence[str] = (),
    signing: SigningIdentity | str | None = AUTO,
    store: Any = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    exported: datetime | None = None,
    smart: bool = True,
    force: bool = False,
) -> ExportResult:
    """Render TIMELINE to `output` with its credits embedded and a verified sidecar.

    `timeline` is a project name or id (in `store`, default the local store), a project file, an
    .otio file, or an already resolved timeline (the app passes its snapshot). `fmt` defaults from
    the output's extension. `span` (start, end) in seconds exports only that part of the timeline,
    shifted to begin at 0, and credits only what plays in it. The sources' licences are checked first
    (studio.services.licensing; `commercial` for commercial work, also applied whenever the project's
    space is marked for it (ResolvedTimeline.commercial_space), `rights_cleared` names clips whose rights
    the user holds); `licence` defaults to the least permissive licence they
    allow. `signing` (default: the logged-in device's certificate) signs the file with a C2PA manifest
    as its last write. Raises LicenceRefused (an InvalidInput), MediaError (offline or damaged
    media, ffmpeg failure), InvalidInput, NotFound or Cancelled; on any of them nothing is left at
    `output`. With `smart` (the default) a cut-only H.264 timeline copies its untouched GOPs
    (see studio.media.smart_render); ExportResult.render says which path was taken and why.
    `output` may not be an input, inside the data folder or read-only; replacing a file of another
    kind needs `force` (check_export_output).
    """
    resolved = timeline if isinstance(timeline, ResolvedTimeline) else resolve_timeline(timeline, store=store)
    output = Path(output).absolute()
    out_format = format_for_path(output, fmt)
    report = _Progress(progress, with_roll=credits_roll and out_format.has_video)
    snapshot = resolved.timeline.snapshot() if span is None else cut_to_span(resolved.timeline, *span)
    warnings = list(resolved.warnings)
    from studio.media.render import plan_render

    plan = plan_render(snapshot, resolved.clips, out_format)  # checks media before any work
    check_export_output(resolved, output, out_format.muxer, force=force)
    block, identity = _credits_and_signer(
        resolved,
        snapshot,
        warnings,
        title=title if title is not None else (resolved.name or output.stem),
        licence=licence,
        licence_url=licence_url,
        exported=exported or datetime.now(UTC),
        credit_options={"method": method, "editors": editors, "pools": pools, "manual": manual},
        commercial=commercial,
        rights_cleared=rights_cleared,
        signing=signing,
        cancel=cancel,
    )
    if credits_roll and not out_format.has_video:
        warnings.append(f"no credits roll: {out_format.name} has no picture")
    job = _Export(resolved, snapshot, plan, out_format, block, identity, output)
    _write_export(job, credits_roll and out_format.has_video, smart, report, cancel)
    from studio.media.tags import write_sidecar

    sidecar = write_sidecar(output, block)
    _verify_sidecar(output, sidecar, block)
    report(1.0, "done")
    return job.result(sidecar, warnings)


def _credits_and_signer(
    resolved: ResolvedTimeline,
    snapshot: Timeline,
    warnings: list[str],
    *,
    title: str,
    licence: str | None,
    licence_url: str,
    exported: datetime,
    credit_options: dict[str, Any],
    commercial: bool,
    rights_cleared: Sequence[str],
    signing: SigningIdentity | str | None,
    cancel: CancelToken | None,
) -> tuple[dict[str, Any], SigningIdentity | None]:
    """The sources' licences checked (LicenceRefused names what breaks a rule), the signer found, and the
    credits block computed with the piece's licence; what the user should know goes to `warnings`."""
    checked = require_licences(
        snapshot,
        resolved.clips,
        licence=licence,
        commercial=commercial or bool(resolved.commercial_space),
        rights_cleared=rights_cleared,
        commercial_space=resolved.commercial_space,
    )
    warnings.extend(checked.warnings)
    identity, unsigned = resolve_signing(signing, cancel)
    if unsigned:
        warnings.append(unsigned)
    block = compute_credits(
        snapshot,
        resolved.clips,
        title=title,
        licence=checked.licence,
        licence_url=licence_url or cc_url(checked.licence),
        work_id=resolved.work_id,
        exported=exported,
        **credit_options,
    )
    return block, identity


@dataclass
class _Export:
    """What one export renders and writes: the snapshot and its plan (both replaced when a credits roll is
    appended), the credits block, the signing identity and where the file goes; then what happened."""

    resolved: ResolvedTimeline
    snapshot: Timeline
    plan: RenderPlan
    out_format: OutputFormat
    block: dict[str, Any]
    identity: SigningIdentity | None
    output: Path
    render: dict[str, Any] = field(default_factory=dict)
    manifest: Path | None = None

    def result(self, sidecar: Path, warnings: list[str]) -> ExportResult:
        from studio.media.ffmpeg import ffmpeg_exe

        return ExportResult(
            path=self.output,
            sidecar=sidecar,
            block=self.block,
            duration=self.snapshot.duration,
            format=self.out_format.name,
            command=self.plan.command(ffmpeg_exe(), self.output),
            warnings=warnings,
            signed_by=self.identity.account if self.identity else "",
            manifest=self.manifest,
            render=self.render,
        )


def _write_export(
    job: _Export, credits_roll: bool, smart: bool, report: _Progress, cancel: CancelToken | None
) -> None:
    """Render (with the credits roll appended when asked), embed and verify the credits, sign last, and only
    then rename the temp file over the output; nothing is left at the output when any step fails."""
    from studio.media.render import plan_render
    from studio.media.tags import embed_credits, verify_embedded

    output, block, clips = job.output, job.block, job.resolved.clips
    with _temp_beside(output) as work, contextlib.ExitStack() as stack:
        if credits_roll:
            roll_file = cache_dir() / "rolls" / f"roll{job.out_format.extension}"
            roll = stack.enter_context(_temp_beside(roll_file))
            job.snapshot, clips = _with_roll(job.snapshot, clips, block, roll, report.phase("roll"), cancel)
            block["work"]["duration_s"] = float(round(job.snapshot.duration, 3))
            job.plan = plan_render(job.snapshot, clips, job.out_format)
        rendering = report.phase("render")
        job.render = _render(job.snapshot, clips, job.plan, work, smart, rendering, cancel, output.name)
        _check_cancel(cancel)
        report.phase("tags")(0.0, "embedding credits")
        embed_credits(work, block, cancel=cancel)
        verify_embedded(work, block)
        _check_cancel(cancel)
        if job.identity:
            job.manifest = sign_export(work, output, block, job.resolved.clips, job.identity)
        keep_mode(work, output)
        os.replace(work, output)


def _render(
    snapshot: Timeline,
    clips: Mapping[str, Clip],
    plan: RenderPlan,
    work: Path,
    smart: bool,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    name: str,
) -> dict[str, Any]:
    """Render to `work` by the smart path when the timeline allows it, else by the full plan.

    Returns what `--json` reports: {"path": "smart"|"full", ...} with the reason for a full render."""
    from studio.media.render import run_plan
    from studio.media.smart_render import describe, run_smart

    chosen = _choose_render(snapshot, clips, plan, smart)
    if isinstance(chosen, str):
        run_plan(plan, work, progress=progress, cancel=cancel, name=name)
        return {"path": "full", "reason": chosen}
    run_smart(chosen, work, progress=progress, cancel=cancel)
    return describe(chosen)


def render_path(resolved: ResolvedTimeline, plan: RenderPlan, *, smart: bool = True) -> dict[str, Any]:
    """Which way `export_timeline` would render `resolved` with `plan`, without rendering (what
    `--dry-run` says): {"path": "smart", pieces, copied and re-encoded frames} or
    {"path": "full", "reason": ...}."""
    from studio.media.smart_render import describe

    chosen = _choose_render(resolved.timeline.snapshot(), resolved.clips, plan, smart)
    return {"path": "full", "reason": chosen} if isinstance(chosen, str) else describe(chosen)


def _choose_render(snapshot: Timeline, clips: Mapping[str, Clip], plan: RenderPlan, smart: bool) -> Any:
    """The smart plan for the snapshot, or the reason (a sentence) it is rendered the full way."""
    if not smart:
        return "smart render was turned off"
    from studio.media.ffmpeg import ffmpeg_exe
    from studio.media.render import title_mode
    from studio.media.smart_render import plan_smart

    return plan_smart(snapshot, clips, plan.format, title_mode(ffmpeg_exe()))


def _with_roll(
    snapshot: Timeline,
    clips: Mapping[str, Clip],
    block: dict[str, Any],
    roll_path: Path,
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> tuple[Timeline, dict[str, Clip]]:
    """The snapshot with the credits roll rendered and placed after its end on the bottom video track."""
    from studio.media.credits_roll import render_credits_roll
    from studio.media.hashing import sha256_file

    render_credits_roll(
        block,
        roll_path,
        width=snapshot.width,
        height=snapshot.height,
        fps=snapshot.fps,
        duration=ROLL_SECONDS,
        progress=progress,
        cancel=cancel,
    )
    roll = Clip(
        id=sha256_file(roll_path),
        title="Credits",
        kind="video",
        duration=ROLL_SECONDS,
        has_video=True,
        path=roll_path,
    )
    extended = snapshot.snapshot()
    bottom = next(iter(extended.ordered_tracks(VIDEO)), None)
    if bottom is None:
        lowest = next(iter(extended.ordered_tracks()), None)
        order = key_between(None, lowest.order if lowest else None)
        bottom = Track(id=new_id(), kind=VIDEO, name="V1", order=order)
        extended.tracks[bottom.id] = bottom
    item = Item(id=new_id(), track=bottom.id, start=extended.duration, duration=ROLL_SECONDS, clip=roll.id)
    extended.items[item.id] = item
    return extended, {**clips, roll.id: roll}


def _verify_sidecar(output: Path, sidecar: Path, block: dict[str, Any]) -> None:
    from studio.media.hashing import sha256_file
    from studio.media.tags import credits_json

    doc = json.loads(sidecar.read_text(encoding="utf-8"))
    sha = doc.pop("export_sha256", None)
    if sha != sha256_file(output):
        raise MediaError(f"{sidecar}: export_sha256 does not match {output.name}")
    if credits_json(doc) != credits_json(block):
        raise MediaError(f"{sidecar}: the credits written differ from the ones embedded")


def _check_cancel(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A fresh temp name in `path`'s folder with its extension (ffmpeg picks the muxer from it),
    removed on the way out unless it was moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_name(path, "export")
    try:
        yield temp
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


class _Progress:
    """Maps each phase's own 0..1 onto its slice of the whole export."""

    def __init__(self, callback: ProgressCallback | None, *, with_roll: bool) -> None:
        self.callback = callback
        roll = 0.1 if with_roll else 0.0
        self.slices = {"roll": (0.0, roll), "render": (roll, _RENDER_SHARE), "tags": (_RENDER_SHARE, 0.97)}

    def __call__(self, fraction: float, message: str) -> None:
        if self.callback is not None:
            self.callback(fraction, message)

    def phase(self, name: str) -> Callable[[float, str], None]:
        low, high = self.slices[name]

        def report(fraction: float, message: str) -> None:
            self(low + (high - low) * max(0.0, min(1.0, fraction)), f"{name}: {message}")

        return report
