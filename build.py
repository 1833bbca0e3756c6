"""Build the Broadsheet archive: `python build.py` (see `python build.py --help`)."""

import sys

from broadsheet.cli import main

if __name__ == "__main__":
    sys.exit(main())
