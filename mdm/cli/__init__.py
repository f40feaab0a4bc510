"""Command line entry point: `mdm`."""

from mdm.cli import demo, export, matching, publish, setup  # noqa: F401  (registers commands)
from mdm.cli.app import app

__all__ = ["app"]
