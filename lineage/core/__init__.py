"""The engine: step costs, allocation shares, propagation over columns, completeness,
contributions, Monte Carlo, comparisons, deployment and embodied emissions. Knows no output
format and reads no file."""
