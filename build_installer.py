#!/usr/bin/env python3
"""Build the standalone Remix Studio bundle: one folder under dist/ whose executable is `studio`,
plus a .tar.gz archive and, where dpkg-deb exists, a .deb package.

    .venv/bin/python build_installer.py [--dist DIR] [--work DIR] [--no-archive] [--no-deb]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SPEC = ROOT / "resources" / "packaging" / "studio.spec"
# The font bundled for names in Chinese, Japanese and Korean (the UI falls back to it; see
# studio/ui/fonts.py): WenQuanYi Micro Hei, 5 MB, Apache-2.0, from the Debian package .ci/run installs.
FALLBACK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FALLBACK_FONT_LICENCE = Path("/usr/share/doc/fonts-wqy-microhei/copyright")


def read_version() -> str:
    """The version lives in one place: studio/__init__.py."""
    for line in (ROOT / "studio" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("build_installer: no __version__ in studio/__init__.py")


def bundle_name(version: str) -> str:
    machine = platform.machine().lower() or "unknown"
    return f"remix-studio-{version}-{sys.platform}-{machine}"


def run_pyinstaller(name: str, dist: Path, work: Path) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("build_installer: PyInstaller is missing: pip install '.[installer]'") from None
    cmd = [
        sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", str(dist), "--workpath", str(work), "--", "--name", name, "--root", str(ROOT),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    folder = dist / name
    if not (folder / "studio").exists():
        raise SystemExit(f"build_installer: the bundle has no executable at {folder / 'studio'}")
    return folder


def bundle_fonts(folder: Path, font: Path = FALLBACK_FONT, licence: Path = FALLBACK_FONT_LICENCE) -> Path:
    """Copy the fallback font (and its licence) into the bundle's resources/fonts."""
    if not font.is_file():
        raise SystemExit(
            f"build_installer: the fallback font {font} is missing: apt-get install fonts-wqy-microhei "
            "(names in Chinese, Japanese and Korean would draw as boxes on machines without such a font)"
        )
    places = (folder / "_internal" / "resources", folder / "resources")
    resources = next((p for p in places if p.is_dir()), None)
    if resources is None:
        raise SystemExit(f"build_installer: the bundle {folder} has no resources folder")
    target = resources / "fonts"
    target.mkdir(exist_ok=True)
    shutil.copy2(font, target / font.name)
    if licence.is_file():
        shutil.copy2(licence, target / f"{font.stem}.copyright")
    return target / font.name


def make_archive(folder: Path) -> Path:
    archive = folder.with_name(folder.name + ".tar.gz")
    tmp = archive.with_name(archive.name + ".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    tmp.replace(archive)
    return archive


def make_deb(folder: Path, version: str) -> Path | None:
    """A .deb installing the bundle under /opt/remix-studio with /usr/bin/studio on PATH."""
    if shutil.which("dpkg-deb") is None:
        return None
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    staging = folder.parent / f"{folder.name}-deb"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(folder, staging / "opt" / "remix-studio", symlinks=True)
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / "studio").symlink_to("/opt/remix-studio/studio")
    (staging / "DEBIAN").mkdir()
    (staging / "DEBIAN" / "control").write_text(
        "Package: remix-studio\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Remix Studio <studio@localhost>\n"
        "Section: video\nPriority: optional\n"
        "Description: Collaborative media studio\n"
        " Remix contributed clips on a multi-track timeline and export pieces that carry their credits.\n"
    )
    deb = folder.with_name(f"remix-studio_{version}_{arch}.deb")
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", "-Zxz", "-z1", str(staging), str(deb)],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(staging)
    return deb


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the standalone Remix Studio bundle.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller work folder")
    parser.add_argument("--no-archive", action="store_true", help="skip the .tar.gz")
    parser.add_argument("--no-deb", action="store_true", help="skip the .deb")
    args = parser.parse_args(argv)

    version = read_version()
    name = bundle_name(version)
    started = time.monotonic()
    folder = run_pyinstaller(name, args.dist.resolve(), args.work.resolve())
    bundle_fonts(folder)
    built = time.monotonic() - started
    print(f"bundle: {folder} ({folder_size(folder) / 1e6:.0f} MB, built in {built:.0f} s)")
    if not args.no_archive:
        archive = make_archive(folder)
        print(f"archive: {archive} ({archive.stat().st_size / 1e6:.0f} MB)")
    if not args.no_deb:
        deb = make_deb(folder, version)
        if deb is not None:
            print(f"deb: {deb} ({deb.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
