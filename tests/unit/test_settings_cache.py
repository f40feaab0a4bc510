"""``current_settings``: one Settings per environment, and a changed environment is seen at once."""

from __future__ import annotations

from pathlib import Path

from mdm.settings import BUNDLED_RULES_DIR, Settings, current_settings


def test_the_same_environment_gives_the_same_settings(monkeypatch):
    monkeypatch.delenv("MDM_RULES_DIR", raising=False)
    first = current_settings()
    assert current_settings() is first
    assert first.rules_dir == BUNDLED_RULES_DIR == Settings().rules_dir


def test_a_changed_environment_is_read_again(monkeypatch, tmp_path):
    monkeypatch.delenv("MDM_RULES_DIR", raising=False)
    before = current_settings()
    monkeypatch.setenv("MDM_RULES_DIR", str(tmp_path))
    assert current_settings().rules_dir == Path(tmp_path) == Settings().rules_dir
    monkeypatch.setenv("mdm_default_region", "DE")  # names are case-insensitive, as Settings reads them
    assert current_settings().default_region == Settings().default_region == "DE"
    monkeypatch.delenv("MDM_RULES_DIR")
    monkeypatch.delenv("mdm_default_region")
    assert current_settings() is before
