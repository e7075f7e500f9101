"""`python tools/dataplane up|down|status --env ENV` (see the package docstring)."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a directory: make the package importable as `dataplane` (tools/ on the path).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dataplane.cli import main
else:
    from .cli import main

sys.exit(main())
