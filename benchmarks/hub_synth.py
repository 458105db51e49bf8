"""A synthetic Hugging Face Hub dump with the Hub's shape (issue 7), as JSON Lines.

The shape follows the Laufer et al. 2025 snapshot (``../shared/research/anchors.md`` §9):
1,860,411 models and 573,653 parent→child edges — 189,391 fine-tunes, 241,417 adapters,
101,921 quantizations and ≈40,924 merge edges — where 7.9 % of fine-tunes, 0.95 % of
quantizations and 0.19 % of adapters have children of their own, and fan-out is heavy-tailed
(a few base models hold most derivatives). No source reported the depth, so chains grow only
through those fertile derivatives and the depth reached is printed, not imposed.

Parents are drawn from a Zipf law over 20,000 base models (exponent 1.1), or, for one edge in
eight, from fertile derivatives created earlier — so every parent precedes its child and the
dump is a DAG. Merges take 2–4 distinct parents (mean 3, so 13.6k merge models make the 40.9k
merge edges). About 0.5 % of models report ``co2_eq_emissions`` in grams (half as a bare
number, half in the mapping form); downloads are heavy-tailed; a third state ``params``.

    python benchmarks/hub_synth.py OUT.jsonl [N] [SEED]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HUB_MODELS = 1_860_411
FINETUNES, ADAPTERS, QUANTIZED, MERGE_EDGES = 189_391, 241_417, 101_921, 40_924
FERTILE = {"finetune": 0.079, "quantized": 0.0095, "adapter": 0.0019}
BASES = 20_000
RELATIONS = ("finetune", "adapter", "quantized", "merge")
# The most popular synthetic bases carry the Hub ids of bundled registry models, so that hub
# derivatives inherit from real, sourced training figures (most-derived first, as on the Hub).
REGISTRY_BASES = ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3-8B",
                  "Qwen/Qwen2.5-7B", "meta-llama/Llama-3.2-1B", "mistralai/Mistral-7B-v0.1",
                  "google/gemma-2-9b", "meta-llama/Llama-2-7b-hf",
                  "distilbert/distilbert-base-uncased", "meta-llama/Llama-3.2-3B",
                  "TinyLlama/TinyLlama-1.1B-Chat-v1.0")


def generate(path: Path, n: int = HUB_MODELS, seed: int = 0) -> dict[str, int]:
    """Write a dump of ``n`` models (the Hub's proportions scaled to ``n``) to ``path``.

    Returns counts: models, edges, merges, roots with children, reporting models.
    """
    rng = np.random.default_rng(seed)
    scale = n / HUB_MODELS
    counts = [round(FINETUNES * scale), round(ADAPTERS * scale), round(QUANTIZED * scale),
              round(MERGE_EDGES * scale / 3)]
    derived = sum(counts)
    roots = n - derived
    bases = max(1, min(roots, round(BASES * max(scale, 0.05))))
    relation = np.repeat(np.arange(4, dtype=np.int8), counts)
    rng.shuffle(relation)
    fertile = np.zeros(derived, dtype=bool)
    for r, name in enumerate(RELATIONS[:3]):
        fertile[relation == r] = rng.random(int((relation == r).sum())) < FERTILE[name]
    fertile_index = np.flatnonzero(fertile)  # in creation order; node id = roots + index
    zipf = 1.0 / np.arange(1, bases + 1) ** 1.1
    zipf /= zipf.sum()
    base_of = rng.permutation(roots)[:bases]  # which roots are the popular base models
    name = {int(r): hub_id for r, hub_id in zip(base_of, REGISTRY_BASES, strict=False)}

    def model(v: int) -> str:
        return name.get(v) or f"org{v % 9973}/model-{v}"

    def draw_parents(k: int, child: np.ndarray) -> np.ndarray:
        """One parent per child: a Zipf-drawn base or, one time in eight, an earlier fertile one."""
        out = base_of[rng.choice(bases, size=k, p=zipf)]
        earlier = np.searchsorted(fertile_index, child - roots)  # fertile ones created before
        chain = (rng.random(k) < 0.125) & (earlier > 0)
        pick = (rng.random(int(chain.sum())) * earlier[chain]).astype(np.int64)
        out[chain] = roots + fertile_index[pick]
        return out

    child = roots + np.arange(derived)
    first = draw_parents(derived, child)
    merge = np.flatnonzero(relation == 3)
    extra = rng.integers(1, 4, size=merge.size)  # 1–3 more parents: 2–4 in all, mean 3
    downloads = np.floor(rng.pareto(1.2, n) * 10).astype(np.int64)
    reports = rng.random(n) < 0.005
    grams = np.round(rng.lognormal(np.log(5_000.0), 2.0, n), 1)
    params = rng.choice(np.array(["125M", "360M", "1.1B", "1.5B", "3B", "7B", "8B", "13B",
                                  "70B"]), size=n)
    has_params = rng.random(n) < 0.33
    days = rng.integers(0, 1400, size=n)
    dates = (np.datetime64("2022-03-01") + days).astype(str)
    merge_parents: dict[int, list[int]] = {}
    for i, k in zip(merge.tolist(), extra.tolist(), strict=True):
        pool = draw_parents(k + 3, np.full(k + 3, roots + i))
        ps = list(dict.fromkeys([int(first[i]), *pool.tolist()]))[: k + 1]
        merge_parents[i] = ps
    edges = 0
    with path.open("w", encoding="utf-8") as out:
        write = out.write
        for v in rng.permutation(n).tolist():
            fields = [f'"id": "{model(v)}"']
            if v >= roots:
                i = v - roots
                r = int(relation[i])
                ps = merge_parents.get(i, [int(first[i])])
                edges += len(ps)
                names = ", ".join(f'"{model(p)}"' for p in ps)
                fields.append(f'"base_model": [{names}]' if len(ps) > 1 or v % 2
                              else f'"base_model": {names}')
                fields.append(f'"base_model_relation": "{RELATIONS[r]}"')
            if reports[v]:
                fields.append(f'"co2_eq_emissions": {grams[v]}' if v % 2 else
                              f'"co2_eq_emissions": {{"emissions": {grams[v]}, '
                              f'"source": "synthetic"}}')
            fields.append(f'"downloads": {downloads[v]}')
            fields.append(f'"created_at": "{dates[v]}"')
            if has_params[v]:
                fields.append(f'"params": "{params[v]}"')
            write("{" + ", ".join(fields) + "}\n")
    return {"models": n, "edges": edges, "merges": int(merge.size),
            "fertile": int(fertile.sum()), "reporting": int(reports.sum())}


if __name__ == "__main__":
    target = Path(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else HUB_MODELS
    print(generate(target, size, int(sys.argv[3]) if len(sys.argv) > 3 else 0))
