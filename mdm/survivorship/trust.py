"""Source trust that fades with a value's age, down to a floor."""

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrustDecay(BaseModel):
    """How trust in a value fades with the value's age, down to ``floor``.

    ``exponential`` halves every ``half_life_days``; ``linear`` falls to zero
    over ``lifetime_days``; ``none`` keeps it constant.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["none", "linear", "exponential"] = "exponential"
    half_life_days: float | None = Field(default=None, gt=0)
    lifetime_days: float | None = Field(default=None, gt=0)
    floor: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _needs_its_parameter(self) -> "TrustDecay":
        if self.kind == "exponential" and self.half_life_days is None:
            raise ValueError("exponential decay needs half_life_days")
        if self.kind == "linear" and self.lifetime_days is None:
            raise ValueError("linear decay needs lifetime_days")
        return self

    def apply(self, trust: float, age_days: float) -> float:
        """Trust in a value ``age_days`` old: never below the floor, never above ``trust``.

        A source trusted less than the floor to begin with keeps its own trust.
        """
        age = max(age_days, 0.0)
        if self.kind == "exponential":
            decayed = trust * math.pow(0.5, age / self.half_life_days)
        elif self.kind == "linear":
            decayed = trust * max(0.0, 1.0 - age / self.lifetime_days)
        else:
            decayed = trust
        return max(decayed, min(trust, self.floor))


NO_DECAY = TrustDecay(kind="none")
