"""BI readers during publications at a high rate: 0 errors and 0 anomalies (integration, a minute and a half)."""

from __future__ import annotations

from benchmarks.serving_stress import OLD_DUCKDB, stress
from tests.helpers import Warehouse, bi_of


def test_readers_never_see_an_error_or_a_half_published_run(mall_run: Warehouse) -> None:
    db = mall_run.db
    bi = bi_of(db)
    outcome = stress(db, bi, seconds=60, readers=3, delay_s=0.2)
    old = (
        "with a DuckDB 1.1.3 reader"
        if outcome["old_duckdb_reader"]
        else f"no DuckDB 1.1.3 reader ({OLD_DUCKDB} absent)"
    )
    print(
        f"\nBI stress: {outcome['publications']} publications, {outcome['queries']} queries by "
        f"{len(outcome['readers'])} readers ({old}) in {outcome['seconds']} s: "
        f"{outcome['errors']} errors, {outcome['anomalies']} anomalies"
    )
    examples = [e for r in outcome["readers"] for e in r["examples"]]
    assert (outcome["errors"], outcome["anomalies"]) == (0, 0), examples
    assert outcome["publications"] >= 20
    assert all(r["queries"] > 100 for r in outcome["readers"]), outcome["readers"]
    assert all(r["runs_seen"] > 20 for r in outcome["readers"]), outcome["readers"]
