"""Command line entry point: `mdm`."""

from mdm.cli import apikey, demo, explain, export, matching, ops, publish, rules_cmd, serve, setup, steward  # noqa: F401  (registers commands)
from mdm.cli.app import app

__all__ = ["app"]
