"""Bundle entry point: the same `studio` CLI and app as the installed console script."""

import multiprocessing
import sys

from studio.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
