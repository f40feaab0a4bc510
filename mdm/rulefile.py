"""Reading a rule file: YAML into a mapping, with errors that name the file,
the place in it and the reason. Shared by every section's loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

# (file, path inside it, reason) -> the caller's error type
ErrorFactory = Callable[[str, str, str], Exception]


def read_rule_file(path: str | Path, error: ErrorFactory) -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(str(path), "", f"cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(str(path), where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise error(str(path), "", "a rule file must be a mapping")
    return data
