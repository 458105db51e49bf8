"""The cache of the parsed registry: same results, data only, and never trusted blindly."""

from __future__ import annotations

import json
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
    return results.cost(model).own_kgco2e_bound.mid


def cache_files(root: Path) -> list[Path]:
    return sorted((root.parent / "cache").glob("registry-*"))


def test_a_cached_registry_gives_the_same_figures(registry_copy: Path) -> None:
    first = own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    assert path.suffix == ".json"
    _, _, payload = path.read_bytes().partition(b"\n")
    specs, *positions = payload.split(b"\n")  # plain data after its SHA-256: specs, then
    assert json.loads(specs)["format"] == 7  # each file's values on a line of its own
    assert len(positions) == len(json.loads(specs)["files"])
    assert set(json.loads(positions[0])) == {"data", "values", "keys"}
    assert own_kg("llama-3.2-1b") == first  # from the cache this time
    assert len(lineage.load().models) == 148  # 127 + 21 added by issue 14


def test_cached_positions_and_data_are_those_read(registry_copy: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The positions come back from the cache's second line, when first asked for."""
    from lineage.io.loader import load_files

    load_files([])  # writes the cache
    cached = load_files([])
    monkeypatch.setenv("LINEAGE_NO_CACHE", "1")
    fresh = load_files([])
    assert [f.doc.path for f in cached] == [f.doc.path for f in fresh]
    for c, f in zip(cached, fresh, strict=True):
        assert type(c.doc.values).__name__ == "Deferred"
        assert type(c.doc).__name__ == "_CachedDocument"
        assert dict(c.doc.values) == dict(f.doc.values)
        assert dict(c.doc.keys) == dict(f.doc.keys)
        assert c.doc.data == f.doc.data
        assert c.spec == f.spec
        assert c.doc.sha256 == f.doc.sha256


def test_two_installations_keep_their_own_caches(registry_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two checkouts (or environments) on one machine do not evict each other's cache."""
    from lineage.io import cache

    other = registry_copy.parent / "other"
    shutil.copytree(registry_copy, other)
    first = [registry_copy / p.relative_to(registry_dir()) for p in registry_files()]
    second = [other / p.relative_to(registry_dir()) for p in registry_files()]
    for files in (first, second):
        monkeypatch.setattr("lineage.io.loader.registry_files", lambda files=files: files)
        lineage.load()
    assert len(cache_files(registry_copy)) == 2
    assert cache.cached_registry(first) is not None
    assert cache.cached_registry(second) is not None


def test_other_installations_caches_are_bounded(registry_copy: Path) -> None:
    """At most KEPT caches of other installations stay: the newest."""
    from lineage.io.cache import KEPT

    folder = registry_copy.parent / "cache"
    folder.mkdir(mode=0o700)
    for k in range(KEPT + 3):  # other installations' caches, oldest first
        old = folder / f"registry-{k:08x}-{'0' * 24}.json"
        old.write_bytes(b"{}")
        os.utime(old, (1_000_000 + k, 1_000_000 + k))
    lineage.load()
    kept = sorted(p.name for p in cache_files(registry_copy))
    assert len(kept) == KEPT + 1  # ours and the KEPT newest others
    assert f"registry-{0:08x}-{'0' * 24}.json" not in kept
    assert f"registry-{KEPT + 2:08x}-{'0' * 24}.json" in kept


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


@pytest.mark.parametrize("content", [
    b"not json", b"[]", b'{"format": 2, "files": []}', b'{"format": 1}', b"[" * 100_000,
    b'{"format": 2, "files": [{"path": 1}]}', pickle.dumps([]),
    b'{"format": 2, "files": [{"spec": {"$m": "Path", "f": {}, "s": []}}]}',
    b'{"format": 7, "files": [{"path": "x", "spec": {"$m": "FileSpec", "f": [1], "s": []}}]}',
    b'{"format": 7, "files": [{"path": "x", "spec": {"$m": "FileSpec", "f": {}, "s": []}}]}',
])
@pytest.mark.parametrize("checksum", [True, False])
def test_a_damaged_cache_is_a_miss(registry_copy: Path, content: bytes, checksum: bool) -> None:
    import hashlib

    before = own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    digest = hashlib.sha256(content).hexdigest().encode() if checksum else b"0" * 64
    path.write_bytes(digest + b"\n" + content)
    assert own_kg("llama-3.2-1b") == before
    assert len(lineage.load().models) == 148  # 127 + 21 added by issue 14


def test_a_damaged_positions_line_degrades_to_the_files_first_line(registry_copy: Path) -> None:
    """A position line that does not decode (with a matching SHA-256: only a bug could write
    it) costs the messages their exact position, never an error."""
    import hashlib

    from lineage.io.loader import load_files

    load_files([])
    (path,) = cache_files(registry_copy)
    _, _, payload = path.read_bytes().partition(b"\n")
    specs, *lines = payload.split(b"\n")
    lines = [b"{not json" for _ in lines]
    damaged = b"\n".join([specs, *lines])
    path.write_bytes(hashlib.sha256(damaged).hexdigest().encode() + b"\n" + damaged)
    files = load_files([])
    doc = files[0].doc
    assert type(doc).__name__ == "_CachedDocument"
    assert doc.data is None and dict(doc.values) == {}
    where = doc.at(("models", "anything"))
    assert (where.path, where.line, where.col) == (doc.path, 1, 1)


class _Planted:
    """A pickle that leaves a mark when it is loaded (what a hostile cache file could do)."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.mark),))  # type: ignore[return-value]


def test_a_planted_pickle_never_runs(registry_copy: Path) -> None:
    """Even in a private folder, as our own file, under the cache's name and the old one."""
    before = own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    mark = registry_copy.parent / "unpickled"
    import hashlib

    planted = pickle.dumps(_Planted(mark))
    for content in (planted, hashlib.sha256(planted).hexdigest().encode() + b"\n" + planted):
        path.write_bytes(content)
        path.with_suffix(".pickle").write_bytes(planted)  # where the old versions looked
        assert own_kg("llama-3.2-1b") == before
        assert not mark.exists()
    pickle.loads(planted)  # the control: loading it as a pickle would have run it
    assert mark.exists()


def _plant(path: Path, factor: str) -> None:
    """Rewrite the cached llama-3.2 pretraining step, 107 t, as ``factor`` t, with a valid
    checksum (what another user with write access could do)."""
    import hashlib

    payload = path.read_bytes().partition(b"\n")[2]
    old = b'"$i":[107000.0,107000.0,107000.0]'
    assert payload.count(old) == 1
    kg = f"{factor}000.0".encode()
    payload = payload.replace(old, b'"$i":[' + b",".join([kg] * 3) + b"]")
    path.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


@pytest.mark.parametrize("where", ["file-world-writable", "file-group-writable",
                                   "folder-world-writable", "link"])
def test_a_cache_others_could_write_is_ignored(registry_copy: Path, where: str) -> None:
    before = own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    _plant(path, "907")
    if where == "file-world-writable":
        path.chmod(0o606)
    elif where == "file-group-writable":
        path.chmod(0o660)
    elif where == "folder-world-writable":
        path.parent.chmod(0o777)
    else:
        target = registry_copy.parent / "elsewhere.json"
        path.rename(target)
        path.symlink_to(target)
    assert own_kg("llama-3.2-1b") == before
    assert cache_files(registry_copy) == [path]  # and nothing written there either
    # The control: the same planted file, made private again, is read (the check held).
    if where == "link":
        path.unlink()
        (registry_copy.parent / "elsewhere.json").rename(path)
    path.chmod(0o600)
    path.parent.chmod(0o700)
    if b"907000.0" not in path.read_bytes():
        _plant(path, "907")  # an untrusted cache file is replaced by a fresh one
    assert own_kg("llama-3.2-1b") == pytest.approx(before + 800_000)  # 907 t − 107 t


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_cache_owned_by_another_user_is_ignored(registry_copy: Path) -> None:
    before = own_kg("llama-3.2-1b")
    (path,) = cache_files(registry_copy)
    _plant(path, "907")
    os.chown(path, 65534, 65534)  # nobody
    assert own_kg("llama-3.2-1b") == before
    os.chown(path.parent, 65534, 65534)
    os.chown(path, 0, 0)
    assert own_kg("llama-3.2-1b") == before


def test_no_cache_in_a_folder_others_can_write(registry_copy: Path) -> None:
    folder = registry_copy.parent / "cache"
    folder.mkdir(mode=0o700)
    folder.chmod(0o1777)  # like /tmp
    own_kg("llama-3.2-1b")
    assert cache_files(registry_copy) == []
