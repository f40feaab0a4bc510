"""The one error standardization raises."""


class InvalidValue(ValueError):
    """A value is present but cannot be standardized.

    ``reason`` is short and human-readable, suitable for a rejects report.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
