"""What C2PA signing adds to an export: time and bytes.

One 10 s 1280x720 30 fps clip with sound and a music bed, exported unsigned and signed (the same
export_timeline call, `signing=None` against a device identity certified by the server's CA module),
alternately after one unmeasured warm-up export, for MP4, FLAC and WebM (detached manifest). Prints
per format the median wall time of each, the ratio signed/unsigned over the per-round ratios, the time
of the signing step alone, and the bytes signing adds (the manifest in the file, or the .c2pa).

Usage: .venv/bin/python bench/signing.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import mediagen  # noqa: E402

FORMATS = ["mp4", "flac", "webm"]


def identity(folder: Path):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from studio.server.ca import load_or_create, pem
    from studio.sync.certificates import SigningIdentity

    ca = load_or_create(folder / "server")
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    ).sign(key, hashes.SHA256())
    request = csr.public_bytes(serialization.Encoding.PEM).decode()
    cert = ca.issue(request, account_id="0" * 32, username="bench")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningIdentity(key_pem, pem(cert) + ca.root_pem, "bench", "http://127.0.0.1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-signing-") as tmp:
        folder = Path(tmp)
        for name in ("data", "config", "cache"):
            os.environ[f"STUDIO_{name.upper()}_DIR"] = str(folder / name)
        from studio.core.projectfile import save_project_file
        from studio.media.hashing import sha256_file
        from studio.media.provenance import Source, detached_path, sign_file
        from studio.media.tags import read_credits
        from studio.services.export import export_timeline
        from tests.media.test_render_plan import clip_for, clip_map, timeline

        shot = mediagen.make_video(folder / "shot.mp4", 10, size="1280x720", rate=30)
        video = clip_for(shot, licence="CC-BY-4.0")
        music = clip_for(mediagen.make_audio(folder / "bed.flac", 10, frequency=330), licence="CC0-1.0")
        tl = timeline([("V1", [dict(clip=video, start=0, duration=10)]),
                       ("A1", [dict(clip=video, start=0, duration=10)]),
                       ("A2", [dict(clip=music, start=0, duration=10)])], size=(1280, 720), fps=30)
        project = folder / "bench.studio"
        save_project_file(project, "p-bench", "Bench", tl, clip_map(video, music))
        signer = identity(folder)
        when = datetime(2026, 1, 1, tzinfo=UTC)
        print(f"signing cost per export, {args.rounds} rounds alternating (median)")
        for fmt in FORMATS:
            export_timeline(project, folder / f"warm.{fmt}", exported=when, signing=signer)  # caches, imports
            plain_t: list[float] = []
            signed_t: list[float] = []
            ratios: list[float] = []
            for round_ in range(args.rounds):
                runs = [("plain", None), ("signed", signer)]
                if round_ % 2:
                    runs.reverse()
                took: dict[str, float] = {}
                for label, signing in runs:
                    out = folder / f"{label}.{fmt}"
                    start = time.perf_counter()
                    export_timeline(project, out, exported=when, signing=signing)
                    took[label] = time.perf_counter() - start
                plain_t.append(took["plain"])
                signed_t.append(took["signed"])
                ratios.append(took["signed"] / took["plain"])
            plain, signed = folder / f"plain.{fmt}", folder / f"signed.{fmt}"
            manifest = detached_path(signed)
            size = plain.stat().st_size
            added = manifest.stat().st_size if manifest.exists() else signed.stat().st_size - size
            step: list[float] = []
            for i in range(args.rounds):  # the signing step alone, on a copy of the plain export
                copy = folder / f"step{i}.{fmt}"
                copy.write_bytes(plain.read_bytes())
                sources = [Source("shot", video.path), Source("bed", music.path)]
                start = time.perf_counter()
                sign_file(copy, read_credits(plain) or {}, sources, key_pem=signer.key_pem,
                          chain_pem=signer.chain_pem, detached_to=folder / f"step{i}.{fmt}.c2pa")
                step.append(time.perf_counter() - start)
            unsigned_s, signed_s = statistics.median(plain_t), statistics.median(signed_t)
            step_ms = statistics.median(step) * 1000
            print(
                f"  {fmt:<5} unsigned {unsigned_s:6.3f} s  signed {signed_s:6.3f} s"
                f"  ratio {statistics.median(ratios):.3f}  signing step {step_ms:6.1f} ms"
                f"  +{added} bytes ({added / size:.3%} of {size} bytes)"
                + ("  [detached .c2pa]" if manifest.exists() else "")
            )
            assert sha256_file(plain) != sha256_file(signed) or manifest.exists()


if __name__ == "__main__":
    main()
