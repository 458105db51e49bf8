"""The shipped examples load with the registry and tell the stories their comments tell."""

from __future__ import annotations

from pathlib import Path

import pytest

import lineage
from lineage.core.compare import break_even

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_example_validates(name: str) -> None:
    registry = name != "seed-article.yaml"
    project = lineage.load([EXAMPLES / name], registry=registry)
    own = [w for w in lineage.warnings(project) if w.where and w.where.path.endswith(name)]
    assert own == []
    assert any(not f.is_registry for f in project.files)


def test_seed_article_two_tellings() -> None:
    r = lineage.compute(lineage.load([EXAMPLES / "seed-article.yaml"], registry=False))
    # the article's telling: the 7B inherits half of the 70B (equal, one child):
    # 31.22 + 291.42 / 2 = 176.93 t
    assert r.cost("article-llama-2-7b").cumulative_kgco2e_bound.mid == pytest.approx(176_930)
    # Meta's telling: all sizes pretrained, the 7B is its own 31.22 t
    assert r.cost("reported-llama-2-7b").cumulative_kgco2e_bound.mid == pytest.approx(31_220)


def test_distill_vs_scratch_break_even() -> None:
    r = lineage.compute(lineage.load([EXAMPLES / "distill-vs-scratch.yaml"]))
    be = break_even(r, "distilled-7b", "llama-2-7b")
    assert be is not None
    # own: (8,663 + 26,952) A100-h × 0.4 kW × 1.1 × 0.385 kg/kWh = 6,033 kg
    assert be.student_own_kgco2e == pytest.approx(35_615 * 0.4 * 1.1 * 0.385)
    # 6.033 + 291.42 / (N + 1) ≤ 31.22 ⇔ N + 1 ≥ 11.57 ⇒ N = 11
    assert be.students == 11


def test_user_finetune_inherits_from_the_registry() -> None:
    r = lineage.compute(lineage.load([EXAMPLES / "my-finetune.yaml"]))
    c = r.cost("acme-support-1b")
    # own: 8 GPUs × 8 h × 0.7 kW × 0.8 utilization × PUE 1.2 = 43.008 kWh
    assert c.own_kwh_bound.mid == pytest.approx(43.008)
    assert {"llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b"} <= {x.model for x in
                                                                  c.contributions}
    assert not c.is_complete  # the instruct model's post-training is not published: ≥
