"""Validity periods: ``valid_from`` and ``valid_to`` are inclusive days; None is open-ended."""

from dataclasses import dataclass
from datetime import date

# Half-open day ordinals [start, end) make splitting and adjacency exact.
OPEN_START = date.min.toordinal()
OPEN_END = date.max.toordinal() + 1


@dataclass(frozen=True, order=True)
class Period:
    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")

    @property
    def start(self) -> int:
        return self.valid_from.toordinal() if self.valid_from else OPEN_START

    @property
    def end(self) -> int:
        """First day after the period, as an ordinal."""
        return self.valid_to.toordinal() + 1 if self.valid_to else OPEN_END

    @classmethod
    def from_ordinals(cls, start: int, end: int) -> "Period":
        return cls(
            None if start == OPEN_START else date.fromordinal(start),
            None if end == OPEN_END else date.fromordinal(end - 1),
        )

    def contains(self, day: date) -> bool:
        return self.start <= day.toordinal() < self.end

    def overlaps(self, other: "Period") -> bool:
        return self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"{self.valid_from or '…'}..{self.valid_to or '…'}"
