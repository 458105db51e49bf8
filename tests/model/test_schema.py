"""`lineage schema` accepts every file we ship, read as an editor's YAML server reads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lineage.model.schema import json_schema

ROOT = Path(__file__).parents[2]
FILES = sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("registry/*.yaml"),
                *ROOT.glob("registry/families/*.yaml"), ROOT / "tests/data/family.yaml"])


def _json_like(value: Any) -> Any:
    """YAML 1.1 values as JSON sees them (dates become text, keys become strings)."""
    if isinstance(value, dict):
        return {str(k): _json_like(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_like(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shipped_files_match_the_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    data = _json_like(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_schema_rejects_unknown_keys_and_bare_energy() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    bad = {"lineage": 1, "models": {"a": {"steps": [{"kind": "pretraining", "gpuhours": 3}]}}}
    assert not validator.is_valid(bad)
    bare = {"lineage": 1, "models": {"a": {"steps": [{"kind": "pretraining", "energy": 5}]}}}
    assert not validator.is_valid(bare)  # energy needs a unit: only text is allowed
