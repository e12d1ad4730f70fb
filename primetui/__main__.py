"""`python -m primetui` runs the same entry point as the console script."""

from primetui.cli import main

raise SystemExit(main())
