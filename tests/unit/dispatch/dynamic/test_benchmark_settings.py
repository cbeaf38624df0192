"""The dynamic benchmark's development switches: a variant is exactly what was asked for."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "benchmarks" / "dynamic.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dynamic_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_repeated_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # A variant of several fields given as repeated --setting flags used to keep only the
    # last flag, silently playing a different variant than the command line says.
    argv = ["dynamic.py", "--bounded", "--setting", "rounds=4", "--setting", "a=1", "b=[2]"]
    monkeypatch.setattr(sys, "argv", argv)
    assert _benchmark().parse_args().setting == ["rounds=4", "a=1", "b=[2]"]


def test_an_unknown_setting_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match="no_such_field"):
        _benchmark().bounded_policy("lastmile", 1, ["no_such_field=1"])
