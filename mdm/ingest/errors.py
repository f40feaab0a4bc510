"""Errors of ingest that stop a whole file (bad rows are rejects, not errors)."""


class IngestError(Exception):
    """A file or mapping that cannot be loaded at all; the message says why."""
