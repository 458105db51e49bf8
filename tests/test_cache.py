"""The cache of the validated registry: same results, and never trusted blindly."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

import lineage
from lineage.io.registry import registry_dir, registry_files


@pytest.fixture
def registry_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled registry, loaded in its place, with its own cache folder."""
    root = tmp_path / "registry"
    shutil.copytree(registry_dir(), root)
    files = [root / p.relative_to(registry_dir()) for p in registry_files()]
    monkeypatch.setattr("lineage.io.loader.registry_files", lambda: files)
    monkeypatch.setenv("LINEAGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LINEAGE_NO_CACHE", raising=False)
    return root


def own_kg(model: str) -> float:
    results = lineage.compute(lineage.load(), "cutoff")
    return results.cost(model).own_kgco2e.mid


def cache_files(root: Path) -> list[Path]:
    return sorted((root.parent / "cache").glob("registry-*.pickle"))


def test_a_cached_registry_gives_the_same_figures(registry_copy: Path) -> None:
    first = own_kg("llama-3.2-1b")
    assert len(cache_files(registry_copy)) == 1
    assert own_kg("llama-3.2-1b") == first  # from the cache this time
    assert len(lineage.load().models) == 148  # 127 + 21 added by issue 14


def test_an_edit_that_keeps_size_and_date_is_seen(registry_copy: Path) -> None:
    family = registry_copy / "families" / "llama-3.2.yaml"
    before = own_kg("llama-3.2-1b")
    stat = family.stat()
    text = family.read_text(encoding="utf-8")
    assert "107 tCO2e" in text
    family.write_text(text.replace("107 tCO2e", "207 tCO2e", 1), encoding="utf-8")
    os.utime(family, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same date
    assert own_kg("llama-3.2-1b") == pytest.approx(before + 100_000)  # 207 t − 107 t
    assert len(cache_files(registry_copy)) == 1  # the old cache was removed


@pytest.mark.parametrize("content", [pickle.dumps([]), b"not a pickle", pickle.dumps(42)])
def test_a_damaged_cache_is_a_miss(registry_copy: Path, content: bytes) -> None:
    before = own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    path.write_bytes(content)
    assert own_kg("llama-3.2-1b") == before
    assert len(lineage.load().models) == 148  # 127 + 21 added by issue 14


class _Planted:
    """A pickle that leaves a mark when it is loaded (what a hostile cache file could do)."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.mark),))  # type: ignore[return-value]


def test_a_cache_others_could_write_is_not_unpickled(registry_copy: Path) -> None:
    own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    mark = registry_copy.parent / "unpickled"
    path.write_bytes(pickle.dumps(_Planted(mark)))
    path.chmod(0o666)  # group and world writable: anyone could have written it
    assert len(lineage.load().models) == 148  # 127 + 21 added by issue 14
    assert not mark.exists()
    path.write_bytes(pickle.dumps(_Planted(mark)))
    path.chmod(0o600)  # ours alone: it is read (so the check above is what protected us)
    lineage.load()
    assert mark.exists()
