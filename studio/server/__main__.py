"""`python -m studio.server`: the same as `studio serve`, plus --port-file for test harnesses."""

from __future__ import annotations

import sys

from studio.server.command import build_parser, run

if __name__ == "__main__":
    sys.exit(run(build_parser().parse_args()))
