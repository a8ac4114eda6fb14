"""Speed and memory of each stage on generated data: prints numbers, asserts nothing.

    python benchmarks/bench_pipeline.py --rows 100000 1000000

Stages run as the flow runs them (DuckDB ingest, pandera validation, candidate fits, publish)
but without Prefect, so the numbers are the pipeline's own cost; `--flow` adds one full flow
run through Prefect (its temporary server start-up included).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from tasks.features import feature_matrix, scale
from tasks.fit import fit_kmeans, number_segments
from tasks.ingest import load_raw, map_header, read_header
from tasks.profile import profile_segments, segment_names
from tasks.sample import generate_customers
from tasks.select_k import score_k
from tasks.settings import Settings
from tasks.validate import validate_frame
from warehouse import connect, sql


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(rows: int, folder: Path, settings: Settings) -> list[tuple[str, float]]:
    timings: list[tuple[str, float]] = []

    def timed(name: str, fn):
        started = time.perf_counter()
        result = fn()
        timings.append((name, time.perf_counter() - started))
        return result

    source = folder / f"customers_{rows}.csv"
    generate_customers(rows, seed=1).to_csv(source, index=False)
    db = folder / f"bench_{rows}.duckdb"
    header = map_header(read_header(source), source=str(source))
    with connect(db) as con:
        timed("ingest (DuckDB read_csv)", lambda: load_raw(con, run_id="b", path=source, header=header))
        raw = timed("read raw rows", lambda: con.execute(sql("select_raw"), ["b"]).df().set_index("source_line"))
    customers, failures = timed("validate (pandera)", lambda: validate_frame(raw))
    assert failures.empty
    scaled, _ = timed("features + scale", lambda: scale(feature_matrix(customers, settings.features, k_min=2)))
    for k in (2, 5, 10):
        timed(
            f"score k={k} (fit, silhouette, stability)",
            lambda k=k: score_k(
                scaled,
                k,
                n_init=settings.n_init,
                random_state=1,
                silhouette_sample_size=settings.silhouette_sample_size,
                stability_resamples=settings.stability_resamples,
                stability_sample_size=settings.stability_sample_size,
            ),
        )
    model, _ = timed(
        "final fit k=5",
        lambda: fit_kmeans(
            scaled, 5, n_init=settings.n_init, random_state=1, silhouette_sample_size=settings.silhouette_sample_size
        ),
    )
    segment_of_label = number_segments(model.labels_, model.cluster_centers_)
    names = segment_names(model.cluster_centers_[segment_of_label.argsort()], settings.features)
    timed(
        "profile",
        lambda: profile_segments(
            customers,
            segment_of_label[model.labels_],
            centroids=model.cluster_centers_,
            names=names,
            features=settings.features,
        ),
    )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--flow", action="store_true", help="also time one full flow run per size")
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rows in args.rows:
            print(
                f"\n== {rows:,} customers (n_init={settings.n_init}, "
                f"silhouette sample {settings.silhouette_sample_size:,})"
            )
            total = 0.0
            for name, seconds in bench(rows, folder, settings):
                total += seconds
                print(f"  {name:<40} {seconds:8.2f} s")
            print(f"  {'total of the stages above':<40} {total:8.2f} s   peak RSS {peak_mb():,.0f} MB")
            if args.flow:
                from flows.segment import segment_customers

                started = time.perf_counter()
                summary = segment_customers(
                    period="2026Q1",
                    source=str(folder / f"customers_{rows}.csv"),
                    db=str(folder / f"flow_{rows}.duckdb"),
                )
                print(
                    f"  full flow run (k={summary.k}, Prefect incl.)   {time.perf_counter() - started:8.2f} s"
                    f"   peak RSS {peak_mb():,.0f} MB"
                )


if __name__ == "__main__":
    main()
