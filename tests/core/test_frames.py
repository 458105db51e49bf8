"""The notebook: registry → to_frame() → a plot; to_networkx() with attributes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import lineage
from lineage.core.frames import COLUMNS, to_frame, to_networkx

FAMILY = str(Path(__file__).parents[1] / "data" / "plot" / "payoff.yaml")


@pytest.fixture(autouse=True)
def _pandas() -> None:
    """Imported per test, not at collection (see tests/test_plot.py)."""
    pytest.importorskip("pandas", reason="pip install '.[pandas]'")


@pytest.fixture(scope="module")
def registry() -> lineage.Results:
    return lineage.compute(lineage.load(), "equal")


def test_registry_frame_to_a_plot(registry: lineage.Results) -> None:
    pytest.importorskip("matplotlib", reason="pip install '.[plot]'")
    from matplotlib.figure import Figure

    df = to_frame(registry)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == len(registry.costs) and df["model"].is_unique
    row = df.set_index("model").loc["llama-3.2-1b"]
    # 118.37 own + 408 (2,040 × 0.2) + 60 (420 / 7) = 586.37 t
    assert row["cumulative_kgco2e"] == pytest.approx(586_370, abs=10)
    assert row["inherited_kgco2e"] == pytest.approx(468_000, abs=1)
    assert bool(row["complete"]) is True
    # Falcon's grid was never published: its own emissions are unknown, NaN and not 0
    falcon = df.set_index("model").loc["falcon-40b"]
    assert math.isnan(falcon["own_kgco2e"]) and not bool(falcon["complete"])
    top = df.dropna(subset=["cumulative_kgco2e"]).nlargest(5, "cumulative_kgco2e")
    fig = Figure()
    ax = fig.add_subplot()
    ax.barh(top["model"], top["cumulative_kgco2e"] / 1000)
    ax.set_xlabel("cumulative emissions (tCO2e)")
    assert len(ax.patches) == 5
    assert df["cumulative_kgco2e"].isna().sum() > 0  # unknowns stay unknown


def test_frame_ranges_and_basis() -> None:
    df = to_frame(lineage.compute(lineage.load([FAMILY], registry=False), "equal"))
    s = df.set_index("model").loc["student"]
    # own 18..22 t; inherited 300 / 2 = 150 t; cumulative 168..172 t
    assert (s["own_kgco2e_low"], s["own_kgco2e"], s["own_kgco2e_high"]) == (18_000, 20_000,
                                                                            22_000)
    assert (s["cumulative_kgco2e_low"], s["cumulative_kgco2e_high"]) == (168_000, 172_000)
    assert s["attributed_kgco2e"] == 170_000  # a leaf keeps everything
    assert s["basis_reported"] == 1.0
    assert math.isnan(s["own_kwh"])  # only emissions were given


def test_networkx_attributes(registry: lineage.Results) -> None:
    G = to_networkx(registry)
    node = G.nodes["llama-3.2-1b"]
    assert node["name"] == "Llama 3.2 1B"
    assert node["own"] == pytest.approx(118_370, abs=10)
    assert node["cumulative"] == pytest.approx(586_370, abs=10)
    assert node["complete"] is True and node["family"]
    edge = G.edges["llama-3.1-70b", "llama-3.2-1b"]
    assert edge["share"] == pytest.approx(0.2) and edge["kind"] == "distillation"
    assert G.nodes["falcon-40b"]["own"] is None


def test_networkx_gpu_hours() -> None:
    import lineage

    G = to_networkx(lineage.compute(lineage.load(["examples/distill-vs-scratch.yaml"]),
                                    "equal"))
    # 8,663 A100-h of distillation + 26,952 of teacher inference
    assert G.edges["llama-2-70b", "distilled-7b"]["gpu_hours"] == pytest.approx(35_615)
