"""Why a steward action was refused; the message is meant for the steward."""

from __future__ import annotations


class StewardError(ValueError):
    """The action cannot be done as asked; the message says why."""


class NotFound(StewardError):
    """The candidate, record, golden record or decision does not exist."""


class Conflict(StewardError):
    """Someone decided first, or the state moved on since the steward looked."""
