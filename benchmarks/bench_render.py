"""Time ``lineage render`` on a generated family of 2,000 models (prints timings; no asserts).

The family mimics a hub: 20 pretrained bases, 80 derivatives made from them (distillation
from two teachers, instruction tuning, pruning, merging), and 1,900 leaf quantizations and
fine-tunes hanging off those — the shape where folding matters.

Run: python benchmarks/bench_render.py [--models 2000] [--no-unfolded]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import lineage
from lineage.report.render import find_engines, render

T = TypeVar("T")
HEADER = """lineage: 1
family: Generated hub
hardware:
  gpu-g: {name: Generated GPU, power: 700 W}
grids:
  grid-g: {name: Generated grid, intensity: 0.4 kgCO2e/kWh}
defaults: {hardware: gpu-g, grid: grid-g}
models:
"""
MID_KINDS = ("distillation", "instruction-tuning", "pruning", "merging")


def _model(mid: str, kind: str | None, parents: list[str], gpu_hours: int) -> str:
    text = f"  {mid}:\n    name: Model {mid}\n    params: 7B\n    steps:\n"
    text += f"      - kind: {kind or 'pretraining'}\n        gpu_hours: {gpu_hours}\n"
    if parents:
        text += f"        from: [{', '.join(parents)}]\n"
    return text


def generate(n_models: int) -> str:
    """The YAML of a family of ``n_models`` models (20 bases, 80 derivatives, the rest leaves)."""
    bases = [f"base-{i}" for i in range(20)]
    out = [_model(b, None, [], 1_000_000 + 1000 * i) for i, b in enumerate(bases)]
    mids = []
    for i in range(80):
        kind = MID_KINDS[i // 20]
        two = kind in ("distillation", "merging")
        parents = [bases[i % 20]] + ([bases[(i + 1) % 20]] if two else [])
        mids.append(f"mid-{i}")
        out.append(_model(mids[-1], kind, parents, 50_000 + i))
    for i in range(n_models - len(bases) - len(mids)):
        kind = "quantization" if i % 3 else "finetuning"
        out.append(_model(f"leaf-{i}", kind, [mids[i % len(mids)]], 10 + i % 50))
    return HEADER + "".join(out)


def timed(label: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` once and print how long it took."""
    start = time.perf_counter()
    value = fn()
    print(f"{label:<44} {time.perf_counter() - start:8.2f} s", flush=True)
    return value


def main() -> None:
    """Generate the family, then time loading, computing and each output format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--no-unfolded", action="store_true",
                        help="skip drawing every one of the models (the slowest run)")
    args = parser.parse_args()
    engines = find_engines()
    print(f"{args.models} models; engines: {', '.join(e.name for e in engines) or 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.yaml"
        path.write_text(generate(args.models), encoding="utf-8")
        project = timed("load (YAML, validation, graph)", lambda: lineage.load([path],
                                                                               registry=False))
        results = timed("compute (policy equal)", lambda: lineage.compute(project))
        for fmt in ("dot", "mermaid"):
            data = timed(f"render {fmt} (folded)", partial(render, results, fmt))
            print(f"{'':<4}{len(data):,} bytes")
        for engine in engines:
            for fmt in ("svg", "png"):
                data = timed(f"render {fmt} with {engine.name} (folded)",
                             partial(render, results, fmt, engines=[engine]))
                print(f"{'':<4}{len(data):,} bytes")
        timed("render html (folded)", lambda: render(results, "html"))
        focus = timed("render svg --focus mid-0 (folded)",
                      lambda: render(results, "svg", focus="mid-0"))
        print(f"{'':<4}{len(focus):,} bytes")
        if not args.no_unfolded and engines:
            data = timed(f"render svg with {engines[0].name}, --no-fold",
                         lambda: render(results, "svg", fold=False, engines=engines[:1]))
            print(f"{'':<4}{len(data):,} bytes")


if __name__ == "__main__":
    main()
