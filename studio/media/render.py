"""Running a render plan: draw any title cards, check the inputs, run ffmpeg with progress and cancel.

ffmpeg writes a temp file beside the output that is renamed only on success, so a failed or
cancelled render leaves nothing at the output path.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from studio.core.atomic import atomic_writer, fsync_dir
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip
from studio.core.errors import Cancelled, InvalidInput, MediaError
from studio.core.paths import cache_dir
from studio.core.timeline import Timeline
from studio.media.ffmpeg import FfmpegFailed, ffmpeg_exe, run_ffmpeg
from studio.media.formats import OutputFormat, capabilities
from studio.media.output_guard import temp_name
from studio.media.render_plan import DrawText, RenderPlan, TitleCard, TitleImages, TitleMode, build_plan

TITLE_CARDS_VERSION = "titles-v1"
INLINE_GRAPH_LIMIT = 24_000
"""Longer filtergraphs go to ffmpeg in a file rather than on the command line."""

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
)


def find_font() -> Path | None:
    """A TrueType font for title text: a common system sans, or None when none is installed."""
    candidates = list(_FONT_CANDIDATES)
    if sys.platform == "win32":
        fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        candidates = [str(fonts / "arial.ttf"), str(fonts / "segoeui.ttf"), *candidates]
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def title_mode(exe: str) -> TitleMode:
    """drawtext when this ffmpeg has it and a font exists; otherwise PNG cards drawn with Pillow."""
    font = find_font()
    if font is not None and "drawtext" in capabilities(exe).filters:
        return DrawText(font)
    return TitleImages(cache_dir() / TITLE_CARDS_VERSION)


def plan_render(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    fmt: OutputFormat,
    *,
    titles: TitleMode | None = None,
    seek_audio: bool = False,
) -> RenderPlan:
    """The plan for rendering `timeline` to `fmt` with this machine's ffmpeg (checked for the encoders)."""
    exe = ffmpeg_exe()
    capabilities(exe).check_format(fmt)
    mode = titles if titles is not None else title_mode(exe)
    return build_plan(timeline, clips, fmt, mode, seek_audio=seek_audio)


def draw_title_cards(plan: RenderPlan) -> None:
    """Draw the plan's PNG title cards that are not on disk yet (they are named by their content)."""
    for card in plan.title_cards:
        if not card.path.is_file():
            _draw_card(card)


def _draw_card(card: TitleCard) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font_path = find_font()
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont = (
        ImageFont.truetype(str(font_path), card.font_size)
        if font_path is not None
        else ImageFont.load_default(card.font_size)
    )
    image = Image.new("RGBA", (card.width, card.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    text = "\n".join(card.lines)
    centre = (card.width / 2, card.height / 2)
    draw.multiline_text(
        (centre[0] + 2, centre[1] + 2), text, font=font, fill=(0, 0, 0, 150), anchor="mm", align="center"
    )
    draw.multiline_text(centre, text, font=font, fill=(255, 255, 255, 255), anchor="mm", align="center")
    with atomic_writer(card.path) as fh:
        image.save(fh, format="PNG")


def check_inputs(plan: RenderPlan) -> None:
    """Probe every media file once and raise MediaError naming each damaged one.

    ffmpeg itself renders a truncated MP4 whose index survived without an error (the missing part
    just freezes), so this is where such a file is caught.
    """
    from studio.media.probe import probe

    skip = {str(c.path) for c in plan.title_cards} | _named_demuxer_inputs(plan.args)
    problems: list[str] = []
    labels = dict(zip(plan.inputs, plan.labels, strict=False))
    for path in dict.fromkeys(plan.inputs):
        if path in skip:
            continue
        try:
            probe(Path(path))
        except MediaError as exc:
            label = labels.get(path, path)
            problems.append(f"{label}: {exc}" if label != path else str(exc))
    if problems:
        raise MediaError("cannot render: " + "; ".join(problems))


def _named_demuxer_inputs(args: tuple[str, ...]) -> set[str]:
    """Inputs opened with `-f` (stills whose library copy lacks the extension their demuxer needs):
    probed when imported, and read by ffmpeg only with those options."""
    named: set[str] = set()
    group_start = 0
    for i, arg in enumerate(args[:-1]):
        if arg == "-i":
            if "-f" in args[group_start:i]:
                named.add(args[i + 1])
            group_start = i + 2
    return named


class _StopToken(CancelToken):
    """Cancelled by the user's token or by the input check that runs beside ffmpeg."""

    def __init__(self, user: CancelToken | None) -> None:
        super().__init__()
        self.user = user

    @property
    def cancelled(self) -> bool:
        return super().cancelled or (self.user is not None and self.user.cancelled)

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled("cancelled")


def run_plan(
    plan: RenderPlan,
    output: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    name: str | None = None,
) -> Path:
    """Render `plan` to `output` (atomically). Raises MediaError, InvalidInput or Cancelled; `name` is
    the file errors speak of (the final output when `output` is a temp file).

    The inputs are checked (check_inputs) while ffmpeg starts: a damaged file stops ffmpeg at once,
    and the render reaches `output` only once both have succeeded.
    """
    output = Path(output).absolute()
    if str(output.resolve()) in {str(Path(p).resolve()) for p in plan.inputs}:
        raise InvalidInput(f"the output {output} is one of the render's inputs; choose another file name")
    if output.is_dir():
        raise InvalidInput(f"the output {output} is a folder; give a file name")
    draw_title_cards(plan)
    stop = _StopToken(cancel)
    damaged: list[MediaError] = []

    def check() -> None:
        try:
            check_inputs(plan)
        except MediaError as exc:
            damaged.append(exc)
            stop.cancel()

    checker = threading.Thread(target=check, name="render-input-check", daemon=True)
    work = temp_name(output, "render")
    try:
        checker.start()
        with _graph_passed(plan) as args:
            try:
                run_ffmpeg(args, duration=plan.duration, progress=progress, cancel=stop, output=work)
            except (Cancelled, FfmpegFailed) as exc:
                checker.join()
                if damaged:
                    raise damaged[0] from None
                if isinstance(exc, FfmpegFailed):
                    raise MediaError(_failure_message(plan, exc.stderr_tail, name or output.name)) from exc
                raise
        checker.join()
        if damaged:
            raise damaged[0]
        os.replace(work, output)
        fsync_dir(output.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            work.unlink()
    return output


@contextlib.contextmanager
def _graph_passed(plan: RenderPlan) -> Iterator[list[str]]:
    """The plan's arguments, with a long filtergraph read by ffmpeg from a file (`-/filter_complex`):
    Windows caps a whole command line at 32767 characters and Linux one argument at 128 KiB."""
    args = list(plan.args)
    if len(plan.filtergraph) <= INLINE_GRAPH_LIMIT:
        yield args
        return
    at = args.index("-filter_complex")
    folder = cache_dir() / "graphs"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="graph-", suffix=".txt", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(plan.filtergraph)
        args[at : at + 2] = ["-/filter_complex", name]
        yield args
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


_INPUT_INDEX = re.compile(r"\b(?:in|[avsd]?ist|dec)#(\d+)")


def _failure_message(plan: RenderPlan, stderr: str, name: str) -> str:
    """Which clip ffmpeg failed on (from the input index it names: `[in#2/...]`, `[vist#2:0/...]`), and
    its fatal line."""
    fatal = _first_errors(stderr)
    found = [int(m.group(1)) for m in _INPUT_INDEX.finditer(stderr)]
    culprits = [plan.labels[i] for i in dict.fromkeys(found) if i < len(plan.labels)]
    where = f" at {', '.join(culprits)}" if culprits else ""
    return f"cannot render {name}{where}: {fatal}"


def _first_errors(stderr: str, count: int = 3) -> str:
    """ffmpeg's first complaints, which name the cause; the later lines are threads shutting down."""
    noise = ("Terminating thread", "Task finished with error", "Nothing was written", "Could not open enc")
    lines = [line for line in stderr.splitlines() if line.strip() and not any(n in line for n in noise)]
    if lines:
        return " | ".join(lines[:count])
    tail = stderr.strip().splitlines()
    return tail[-1] if tail else "no message from ffmpeg"
