"""`python -m primetui` runs the same entry point as the console script."""

from primetui.cli.main import main

raise SystemExit(main())
