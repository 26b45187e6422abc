"""Named crash points for fault tests: STUDIO_SERVER_FAILPOINT=<name> makes the process die right there.

Used to kill the server at moments that cannot be hit by timing a signal (between publishing a blob and
committing its row). Unset, each check is one dictionary lookup.
"""

from __future__ import annotations

import os
import sys


def hit(name: str) -> None:
    if os.environ.get("STUDIO_SERVER_FAILPOINT") == name:
        sys.stderr.write(f"studio server: failpoint {name} reached, exiting\n")
        sys.stderr.flush()
        os._exit(75)
