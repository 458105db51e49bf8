import pytest

from lineage.model.units import Dim, UnitError, parse


@pytest.mark.parametrize(
    ("text", "dim", "expected"),
    [
        ("1,720,320", Dim.COUNT, (1720320, 1720320, 1720320)),
        ("370k", Dim.COUNT, (370e3, 370e3, 370e3)),
        ("1.23B", Dim.COUNT, (1.23e9, 1.23e9, 1.23e9)),
        ("2.0T", Dim.COUNT, (2e12, 2e12, 2e12)),
        ("107 tCO2e", Dim.EMISSIONS, (107e3, 107e3, 107e3)),
        ("8,930 tCO2e", Dim.EMISSIONS, (8930e3, 8930e3, 8930e3)),
        ("17 g", Dim.EMISSIONS, (0.017, 0.017, 0.017)),
        ("0.385 kgCO2e/kWh", Dim.INTENSITY, (0.385, 0.385, 0.385)),
        ("57 gCO2e/kWh", Dim.INTENSITY, (0.057, 0.057, 0.057)),
        ("400 W", Dim.POWER, (0.4, 0.4, 0.4)),
        ("10.2 kW", Dim.POWER, (10.2, 10.2, 10.2)),
        ("36 MWh", Dim.ENERGY, (36e3, 36e3, 36e3)),
        ("3.6 MJ", Dim.ENERGY, (1.0, 1.0, 1.0)),  # 1 kWh = 3.6 MJ
        ("2.8..3.36 tCO2e", Dim.EMISSIONS, (2800, 3080, 3360)),  # midpoint (2.8+3.36)/2
        ("3 (2.8..3.36) tCO2e", Dim.EMISSIONS, (2800, 3000, 3360)),
        ("31.7 tCO2e ± 10%", Dim.EMISSIONS, (28530, 31700, 34870)),
        ("31.7 ± 10% tCO2e", Dim.EMISSIONS, (28530, 31700, 34870)),
        ("10 t ± 2 t", Dim.EMISSIONS, (8000, 10000, 12000)),
        ("14 days", Dim.DAYS, (14, 14, 14)),
        ("48 h", Dim.DAYS, (2, 2, 2)),
        ("4 years", Dim.LIFETIME, (35040, 35040, 35040)),  # 4 × 8760 h
        ("80%", Dim.FRACTION, (0.8, 0.8, 0.8)),
        ("1.1", Dim.PUE, (1.1, 1.1, 1.1)),
    ],
)
def test_parse(text: str, dim: Dim, expected: tuple[float, float, float]) -> None:
    assert parse(text, dim).as_tuple() == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "dim", "message"),
    [
        ("5", Dim.ENERGY, 'energy "5" needs a unit: write "5 kWh"'),
        ("107", Dim.EMISSIONS, 'emissions "107" needs a unit: write "107 tCO2e"'),
        ("0.4", Dim.INTENSITY, 'intensity "0.4" needs a unit: write "0.4 kgCO2e/kWh"'),
        ("5 kWh", Dim.EMISSIONS,
         'emissions "5 kWh" is an energy, not a mass of CO2e: write it in tCO2e'),
        ("-3 t", Dim.EMISSIONS, 'emissions "-3 t" must not be negative'),
        ("nan", Dim.COUNT, 'emissions "nan" must be a finite number'),
        ("1e400", Dim.COUNT, 'emissions "1e400" must be a finite number'),
        ("5..3 t", Dim.EMISSIONS,
         'emissions "5..3 t": the range is reversed; write the smaller bound first'),
        ("150%", Dim.FRACTION, 'emissions "150%" must be between 0 and 1 (or 0% and 100%)'),
        ("0.9", Dim.PUE, 'emissions "0.9" must be at least 1 (a PUE below 1 is impossible)'),
        ("5 t ± 150%", Dim.EMISSIONS,
         'emissions "5 t ± 150%": a spread over 100% would go below zero'),
        ("12 Q", Dim.COUNT, 'emissions "12 Q": unknown suffix "Q"; use k, M, B or T'),
    ],
)
def test_errors_say_what_to_write(text: str, dim: Dim, message: str) -> None:
    with pytest.raises(UnitError) as exc:
        parse(text, dim, "energy" if dim is Dim.ENERGY else
              "intensity" if dim is Dim.INTENSITY else "emissions")
    assert str(exc.value) == message


def test_small_figures_keep_three_significant_digits() -> None:
    from lineage.report.tables import fmt_kg, fmt_kwh

    # 2.5 g was printed "2 gCO2e" (rounded to whole grams): a reported 2.5 g must read 2.5 g
    assert [fmt_kg(x) for x in (0.0025, 0.0000334, 0.504, 0.9996)] == [
        "2.5 gCO2e", "0.0334 gCO2e", "504 gCO2e", "1,000 gCO2e"]
    assert [fmt_kwh(x) for x in (0.0125, 0.5)] == ["12.5 Wh", "500 Wh"]
