"""Subcommands of each area (instances, certs, backup, …), registered by `primetui.cli.main`.

Each module here has `register(subparsers)` that adds its parser and sets `handler` with
`set_defaults(handler=function)`; the function takes the parsed args and returns the exit code.
Modules import only argparse and light primetui modules at top level (start-up is budgeted).
"""

AREAS = ("instances", "schedules", "certs", "backup", "maintenance", "check", "report")
