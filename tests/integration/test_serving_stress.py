"""BI readers during publications at a high rate: 0 errors and 0 anomalies (integration).

Bounded by work, not by a clock: fifteen publications (each of the five kinds three times: later periods,
reruns, backfills, failed runs) while three readers query in a tight loop, one reconnecting every
round and one on DuckDB 1.1.3. The readers start before the first publication and stop after the
last, so every publication lands while all of them read. The rate is the benchmark's business
(`python benchmarks/serving_stress.py`, minutes, four readers).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.serving_stress import stress
from tests.helpers import Warehouse, bi_of

PUBLICATIONS = 15


def test_readers_never_see_an_error_or_a_half_published_run(mall_run: Warehouse, old_duckdb: Path) -> None:
    db = mall_run.db  # old_duckdb: the stress's third reader runs on it (it fails the test when absent)
    # `seconds` only stops a publisher that hangs; the test ends after PUBLICATIONS.
    outcome = stress(db, bi_of(db), seconds=600, readers=2, delay_s=0.2, publications=PUBLICATIONS)
    print(
        f"\nBI stress: {outcome['publications']} publications, {outcome['queries']} queries by "
        f"{len(outcome['readers'])} readers (one on DuckDB 1.1.3) in {outcome['seconds']} s: "
        f"{outcome['errors']} errors, {outcome['anomalies']} anomalies"
    )
    examples = [e for r in outcome["readers"] for e in r["examples"]]
    assert (outcome["errors"], outcome["anomalies"]) == (0, 0), examples
    assert outcome["publications"] == PUBLICATIONS
    assert [r["duckdb"].startswith("1.1.") for r in outcome["readers"]] == [False, False, True]
    # Every reader ran through the publications and saw the last one (the template run + 15).
    assert all(r["runs_seen"] == 1 + PUBLICATIONS for r in outcome["readers"]), outcome["readers"]
    assert all(r["queries"] > 100 for r in outcome["readers"]), outcome["readers"]
