from pathlib import Path

import pytest
from newsflow.config import load_settings
from pydantic import ValidationError


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s.inbox == str(Path("data/inbox").resolve())  # normalised: one spelling
    assert s.lake == str(Path("data/lake").resolve())
    assert s.dedup_horizon_days == 30


def test_precedence_file_env_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "nf.toml"
    cfg.write_text('[newsflow]\nlake = "/from/file"\nmin_words = 5\ninbox = "/file/inbox"\n')
    env = {"NEWSFLOW_CONFIG": str(cfg), "NEWSFLOW_LAKE": "/from/env"}
    s = load_settings(environ=env, inbox=None)
    assert (s.lake, s.min_words, s.inbox) == ("/from/env", 5, "/file/inbox")
    s = load_settings(environ=env, lake="/from/flag")
    assert s.lake == "/from/flag"


def test_yaml_file(tmp_path: Path) -> None:
    cfg = tmp_path / "nf.yaml"
    cfg.write_text("story_window_days: 4\n")
    assert load_settings(cfg, environ={}).story_window_days == 4


def test_bad_values_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="min_words"):
        load_settings(environ={"NEWSFLOW_MIN_WORDS": "lots"})
    with pytest.raises(ValidationError, match="no_such_knob"):
        load_settings(environ={}, no_such_knob=1)
    bad = tmp_path / "nf.ini"
    bad.write_text("x=1")
    with pytest.raises(ValueError, match="must be .toml"):
        load_settings(bad, environ={})
