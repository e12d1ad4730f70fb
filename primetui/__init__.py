"""primetui: the lab's maintenance runbook as a keyboard-driven terminal application."""

__version__ = "0.1.0"
