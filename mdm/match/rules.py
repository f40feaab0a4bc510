"""Match rules as validated data, loaded from ``rules/<domain>.yaml``.

A rule file declares derived features, blocking keys, comparisons with
ordered levels, decision thresholds, the prior and EM settings::

    domain: customer
    features:
      surname_ph: {fn: metaphone, of: family_name}
      zip5: {fn: zip5, of: postal_code}
    blocking:
      max_block_size: 500
      keys:
        - [surname_ph, zip5]
        - [date_of_birth]
    comparisons:
      - name: family_name
        term_frequency: true
        levels: [null, exact, jaro_winkler >= 0.92, {exact_on: surname_ph}, else]
    thresholds: {auto_merge: 0.95, review: 0.5}
    prior: estimate

Level shorthand: ``null``, ``exact``, ``else``, ``"<kind> >= t"`` /
``"<kind> <= t"``, ``{<kind>: t}``, ``{exact_on: <column>}``, or the full
form ``{kind: .., threshold: .., column: .., label: .., m: .., u: .., veto: ..,
override_veto: ..}`` where ``m``/``u`` fix a level's probabilities instead of
estimating them, ``veto: true`` keeps pairs at that level from auto-merging
and ``override_veto: true`` (a shared identifier) lifts such a veto, or
``override_veto: [name, ...]`` lifts only the vetoes of the comparisons named.
"""

import inspect
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mdm.match import features as _features  # noqa: F401  (registers built-in feature functions)
from mdm.match import levels as _levels  # noqa: F401  (registers built-in level kinds)
from mdm.match.registry import feature_functions, level_kinds
from mdm.models.fields import CANONICAL_FIELDS as _CANONICAL
from mdm.rulefile import read_rule_file

NULL, ELSE = "null", "else"
SURVIVORSHIP_SECTIONS = ("survivorship", "sources")

# Canonical fields per domain (DESIGN.md); rules may also name derived features.
CANONICAL_FIELDS = {domain: set(fields) for domain, fields in _CANONICAL.items()}
COMMON_FIELDS = {"system", "source_key"}


class RulesError(ValueError):
    """A rule file is invalid: names the file, the path inside it and the reason."""

    def __init__(self, file: str, path: str, reason: str):
        self.file, self.path, self.reason = file, path, reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureSpec(BaseModel):
    """A derived column: ``fn`` applied to the column(s) ``of``; extra keys are parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    fn: str
    of: str | list[str]

    @field_validator("fn")
    @classmethod
    def _known_fn(cls, fn: str) -> str:
        if fn not in feature_functions:
            raise ValueError(f"unknown feature function {fn!r}; known: {', '.join(feature_functions.names())}")
        return fn

    @property
    def inputs(self) -> list[str]:
        return [self.of] if isinstance(self.of, str) else list(self.of)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


_SHORTHAND = re.compile(r"^\s*(\w+)\s*(>=|<=)\s*([-+0-9.eE]+)\s*$")


class LevelSpec(_Strict):
    """One comparison level: pairs hit the first level whose predicate holds."""

    kind: str
    threshold: float | None = None
    column: str | None = None
    label: str | None = None
    m: float | None = Field(default=None, gt=0, le=1)
    u: float | None = Field(default=None, gt=0, le=1)
    # A pair hitting a veto level never auto-merges (it goes to review):
    # "different dates of birth", "same surname, different given name";
    # unless it also hits an ``override_veto`` level, such as the same tax id.
    veto: bool = False
    # true lifts every veto; a list of comparison names lifts only theirs
    # (a shared role email may lift "same family name only", not "different tax id").
    override_veto: bool | list[str] = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value is None:
            return {"kind": NULL}
        if isinstance(value, str):
            match = _SHORTHAND.match(value)
            if match:
                return {"kind": match[1], "threshold": float(match[3])}
            return {"kind": value.strip()}
        if isinstance(value, dict) and "kind" not in value and len(value) >= 1:
            first, rest = next(iter(value.items())), dict(list(value.items())[1:])
            name, arg = first
            if name == "exact_on":
                return {"kind": "exact", "column": arg, **rest}
            return {"kind": name, "threshold": arg, **rest}
        return value

    @model_validator(mode="after")
    def _check_kind(self) -> "LevelSpec":
        if self.kind in (NULL, ELSE):
            return self
        if self.kind not in level_kinds:
            raise ValueError(f"unknown level kind {self.kind!r}; known: null, else, {', '.join(level_kinds.names())}")
        needs = inspect.signature(level_kinds[self.kind]).parameters["threshold"].default is inspect.Parameter.empty
        if needs and self.threshold is None:
            raise ValueError(f"level kind {self.kind!r} needs a threshold")
        return self

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.kind == "exact" and self.column:
            return f"exact_on {self.column}"
        text = self.kind if self.threshold is None else f"{self.kind} {_op(self.kind)} {self.threshold:g}"
        return text if self.column is None else f"{text} on {self.column}"


def _op(kind: str) -> str:
    return "<=" if kind.startswith(("levenshtein", "damerau", "numeric", "date_days")) else ">="


class ComparisonSpec(_Strict):
    """One compared field with ordered levels, from most to least similar."""

    name: str
    column: str | None = None
    levels: list[LevelSpec]
    term_frequency: bool = False
    tf_minimum_u: float = Field(default=1e-6, gt=0, le=1)

    @property
    def field(self) -> str:
        return self.column or self.name

    @field_validator("levels")
    @classmethod
    def _level_order(cls, levels: list[LevelSpec]) -> list[LevelSpec]:
        kinds = [level.kind for level in levels]
        if not kinds or kinds[-1] != ELSE:
            raise ValueError("the last level must be 'else'")
        if NULL in kinds[1:] or kinds.count(ELSE) > 1:
            raise ValueError("'null' may only be the first level and 'else' only the last")
        if len(levels) > 127:
            raise ValueError("at most 127 levels")
        return levels

    @property
    def veto_levels(self) -> list[int]:
        return [i for i, level in enumerate(self.levels) if level.veto]

    @property
    def override_levels(self) -> list[int]:
        return [i for i, level in enumerate(self.levels) if level.override_veto]

    def overrides_of(self, vetoing: str) -> list[int]:
        """Levels of this comparison that lift the veto of comparison ``vetoing``."""
        return [i for i, level in enumerate(self.levels)
                if level.override_veto is True or (isinstance(level.override_veto, list) and vetoing in level.override_veto)]

    @property
    def has_null_level(self) -> bool:
        return self.levels[0].kind == NULL

    @property
    def exact_level(self) -> int | None:
        """Index of the plain exact level on this comparison's own field (for TF)."""
        for i, level in enumerate(self.levels):
            if level.kind == "exact" and level.column in (None, self.field):
                return i
        return None


class BlockingKey(_Strict):
    """Records sharing the values of all ``columns`` become candidate pairs.

    YAML: ``[surname_ph, zip5]`` or ``{columns: [..], name: .., train: false}``.
    """

    name: str
    columns: list[str]
    # Loose keys (a shared word, a code prefix) find matches blocking would
    # miss, but their pairs are mostly look-alike non-matches: keep them out
    # of EM training, as Splink trains on a few tight blocking rules.
    train: bool = True
    # Overrides ``blocking.max_block_size`` for this key (loose keys want less).
    max_block_size: int | None = Field(default=None, ge=2)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return {"name": "+".join(map(str, value)), "columns": value}
        if isinstance(value, dict) and isinstance(value.get("columns"), str):
            value = {**value, "columns": [value["columns"]]}
        if isinstance(value, dict) and "name" not in value and isinstance(value.get("columns"), list):
            return {**value, "name": "+".join(map(str, value["columns"]))}
        return value


class Blocking(_Strict):
    keys: list[BlockingKey] = Field(min_length=1)
    # A block larger than this makes ~n²/2 pairs of mostly non-matches: skip and report it.
    max_block_size: int = Field(default=1000, ge=2)

    def limits(self) -> dict[str, int]:
        """Largest block kept, per key name."""
        return {key.name: key.max_block_size or self.max_block_size for key in self.keys}


class Thresholds(_Strict):
    """Decisions: at/above ``auto_merge`` merge, at/above ``review`` ask a steward.

    Below ``conflict`` a compared pair inside a would-be cluster cuts it.
    """

    auto_merge: float
    review: float
    # Two members of one would-be cluster scoring below this split it (default: review).
    conflict: float | None = None
    scale: Literal["probability", "weight"] = "probability"

    @property
    def conflict_below(self) -> float:
        return self.review if self.conflict is None else self.conflict

    @model_validator(mode="after")
    def _ordered(self) -> "Thresholds":
        if self.review > self.auto_merge:
            raise ValueError("review must not exceed auto_merge")
        if self.conflict is not None and self.conflict > self.review:
            raise ValueError("conflict must not exceed review")
        if self.scale == "probability" and not (0 <= self.review <= 1 and 0 <= self.auto_merge <= 1):
            raise ValueError("probability thresholds must lie in [0, 1]")
        return self


class EMSettings(_Strict):
    max_iterations: int = Field(default=50, ge=0)
    tolerance: float = Field(default=1e-5, gt=0)
    # u is estimated from random record pairs (almost all non-matches), as Splink does;
    # 'em' re-estimates u on candidate pairs too.
    estimate_u: Literal["random_pairs", "em"] = "random_pairs"
    u_sample_pairs: int = Field(default=300_000, ge=1000)
    # EM trains on at most this many candidate pairs (a uniform sample).
    training_pairs: int = Field(default=200_000, ge=1000)
    # Skip, per pair, comparisons on fields of the blocking keys that found it:
    # agreement there is how the pair was chosen, not evidence of a match.
    skip_blocked: bool = True
    seed: int = 0


class MatchRules(BaseModel):
    """The match part of a domain's rule file; other sections (sources, survivorship) are ignored here."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    domain: str
    features: dict[str, FeatureSpec] = {}
    blocking: Blocking
    comparisons: list[ComparisonSpec] = Field(min_length=1)
    thresholds: Thresholds
    prior: float | Literal["estimate"] = "estimate"
    em: EMSettings = EMSettings()

    @field_validator("prior")
    @classmethod
    def _prior_range(cls, prior: float | str) -> float | str:
        if isinstance(prior, float) and not 0 < prior < 1:
            raise ValueError("prior must lie strictly between 0 and 1")
        return prior

    @model_validator(mode="after")
    def _names_resolve(self) -> "MatchRules":
        known = CANONICAL_FIELDS.get(self.domain)
        if known is None:
            return self
        available = set(known) | COMMON_FIELDS
        for name, feature in self.features.items():
            for column in feature.inputs:
                if column not in available:
                    raise ValueError(f"features.{name}.of: unknown column {column!r}")
            available.add(name)
        for i, comparison in enumerate(self.comparisons):
            for j, level in enumerate(comparison.levels):
                column = level.column or comparison.field
                if level.kind not in (NULL, ELSE) and column not in available:
                    raise ValueError(f"comparisons[{i}].levels[{j}]: unknown column {column!r}")
            if comparison.field not in available:
                raise ValueError(f"comparisons[{i}].column: unknown column {comparison.field!r}")
        for i, key in enumerate(self.blocking.keys):
            for column in key.columns:
                if column not in available:
                    raise ValueError(f"blocking.keys[{i}]: unknown column {column!r}")
        names = {c.name for c in self.comparisons}
        for i, comparison in enumerate(self.comparisons):
            for j, level in enumerate(comparison.levels):
                if isinstance(level.override_veto, list):
                    unknown = sorted(set(level.override_veto) - names)
                    if unknown:
                        raise ValueError(f"comparisons[{i}].levels[{j}].override_veto: unknown comparison {unknown[0]!r}")
        return self

    @property
    def comparison_names(self) -> list[str]:
        return [c.name for c in self.comparisons]

    def source_fields(self, column: str) -> set[str]:
        """Canonical fields a column is derived from (itself if not a feature)."""
        if column not in self.features:
            return {column}
        return set().union(*(self.source_fields(c) for c in self.features[column].inputs))

    def blocked_comparisons(self) -> "np.ndarray":
        """bool (n_keys, n_comparisons): the key and the comparison read a common field.

        Pairs found through a key agree on its fields by construction, so those
        comparisons say nothing about whether they match: EM skips them there.
        """
        import numpy as np

        def fields_of(columns) -> set[str]:
            return set().union(*(self.source_fields(c) for c in columns))

        compared = [fields_of({c.field} | {lv.column for lv in c.levels if lv.column}) for c in self.comparisons]
        keys = [fields_of(key.columns) for key in self.blocking.keys]
        return np.array([[bool(k & c) for c in compared] for k in keys], dtype=bool).reshape(len(keys), len(compared))


def parse_rules(data: Any, file: str = "<rules>") -> MatchRules:
    """Validate already-parsed YAML/JSON data; errors become ``RulesError``."""
    try:
        return MatchRules.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = _error_path(error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            reason = "required field is missing"
        raise RulesError(file, path, reason) from exc


def load_rules(path: str | Path) -> MatchRules:
    """Load and validate a rule file; raise ``RulesError`` naming file, path and reason."""
    path = Path(path)
    data = read_rule_file(path, RulesError)
    # The same file's survivorship section is mdm.survivorship's to validate.
    data = {k: v for k, v in data.items() if k not in SURVIVORSHIP_SECTIONS}
    return parse_rules(data, str(path))


def _error_path(loc: tuple) -> str:
    """('comparisons', 2, 'levels', 1, 'threshold') -> 'comparisons[2].levels[1].threshold'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "union[", "literal[")) or part in ("str", "list[str]", "float"):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text
