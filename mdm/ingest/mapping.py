"""Mapping files: which source column feeds which canonical field."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from mdm.ingest.errors import IngestError
from mdm.models.fields import mappable_fields


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    domain: Literal["customer", "item", "price"]
    key: str = Field(min_length=1)
    updated_at: str | None = None
    fields: dict[str, str]
    format: Literal["csv", "jsonl", "parquet"] | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    date_format: str | None = None
    decimal_comma: bool = False
    default_region: str | None = None
    default_country: str | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("fields")
    @classmethod
    def _canonical_names(cls, fields: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        domain = info.data.get("domain")
        if domain is None:
            return fields  # the domain error is reported on its own
        allowed = mappable_fields(domain)
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) for domain {domain}: {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        if domain == "item" and {"weight_kg", "weight_lb"} <= set(fields):
            raise ValueError("map either weight_kg or weight_lb, not both")
        return fields

    def source_columns(self) -> list[str]:
        """Every column the mapping reads, key first."""
        cols = [self.key, *self.fields.values()]
        if self.updated_at:
            cols.append(self.updated_at)
        return list(dict.fromkeys(cols))


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError(f"{path}: mapping file not found") from None
    except yaml.YAMLError as exc:
        raise IngestError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise IngestError(f"{path}: a mapping must be a YAML object with source, domain, key and fields")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise IngestError(f"{path}: invalid mapping: {problems}") from None
