"""Does a quarterly backfill give marketing a usable partition with true names? Measured on generated histories.

    python benchmarks/evaluate_segments.py                          # both shapes, seeds 1 2 3, 2024Q1..2025Q3
    python benchmarks/evaluate_segments.py --shapes music_store --seeds 1 --quarters 2025Q1 2025Q3
    python benchmarks/evaluate_segments.py --candidates             # also: every k's next-quarter separation

For every (shape, seed) it writes the history (benchmarks/histories.py, seeded), runs the real command
`segment backfill` over the quarters with default settings (plus any `--env NAME=VALUE`) against one
Prefect server of its own, then reads what landed in the warehouse. The history holds every
customer's future, so for each quarter it measures what the segments did NEXT quarter:

- k, and the smallest segment's share of customers;
- next-quarter orders per customer of each segment (orders with a positive net amount in the three
  months after the period's end, per customer of the segment): the largest segment mean over the
  smallest (`next max/min`; the issue's aim is at least 3);
- eta²: the share of the variance of next-quarter orders between customers that the segments explain;
- naming checks on the stored profiles: `order` counts pairs of segments whose words contradict their
  medians (a word that ranks lower in the feature's vocabulary, e.g. "Recent" below "Lapsed", on a
  segment whose median is further that way than the other's), `dup` names used twice in one run,
  `brk` names with a bracket, `one-time` the smallest share of one-order customers in a segment
  named "One-time".

`--candidates` refits K-Means for every k in 2..10 on each run's stored features (the pipeline's
model space: log1p of counts and money, standardised; a seeded sample of 10,000) and prints each k's
next-quarter separation and smallest share: the evidence a k rule can be weighed against.
Prints tables; asserts nothing. Needs no state: everything lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.bench import pipeline_env, start_server
from benchmarks.histories import SHAPES, generate_history
from segmentation.periods import Period
from segmentation.sample import write_orders

DEFAULT_QUARTERS = ("2024Q1", "2025Q3")
FEATURE_WORDS = ("recency_days", "frequency", "monetary")


@dataclass(frozen=True)
class QuarterResult:
    shape: str
    seed: int
    period: str
    customers: int
    k: int
    min_share: float
    next_max: float
    next_min: float
    eta2: float
    order_violations: int
    duplicates: int
    brackets: int
    one_time_purity: float | None
    names: list[str]

    @property
    def ratio(self) -> float:
        return self.next_max / self.next_min if self.next_min > 0 else float("inf")


def next_quarter_orders(history: pd.DataFrame, period: Period) -> pd.Series:
    """Orders with a positive net amount per customer in the three months after the period's end."""
    end = pd.Timestamp(period.end)
    later = end + pd.DateOffset(months=3)
    dated = history.assign(order_date=pd.to_datetime(history["order_date"]))
    orders = dated.groupby("order_id").agg(
        customer_id=("customer_id", "first"), day=("order_date", "min"), net=("amount", "sum")
    )
    inside = orders[(orders["day"] > end) & (orders["day"] <= later) & (orders["net"] > 0)]
    return inside.groupby("customer_id").size()


def vocabulary() -> dict[str, dict[str, int]]:
    """Each feature's words with their rank (low to high), from the registry of the code being evaluated."""
    from segmentation import registry

    ranks: dict[str, dict[str, int]] = {}
    for feature in FEATURE_WORDS:
        words = registry.FEATURES[feature].words
        ranks[feature] = {word: i for i, word in enumerate(words)}
        if feature == "frequency" and hasattr(registry, "ONE_TIME"):
            ranks[feature][registry.ONE_TIME] = -1
    return ranks


def word_rank(name: str, words: dict[str, int]) -> int | None:
    """The rank of the feature word a name carries (the longest match: 'Very frequent' over 'Frequent')."""
    parts = [p.strip() for p in name.split("(")[0].split("·")]
    found = [words[p] for p in parts if p in words]
    return found[0] if found else None


def order_violations(profiles: pd.DataFrame, ranks: dict[str, dict[str, int]]) -> int:
    """Pairs of segments whose words rank one way on a feature while their medians go the other."""
    count = 0
    for feature, words in ranks.items():
        rank = profiles["segment_name"].map(lambda n, w=words: word_rank(n, w))
        median = profiles[f"median_{feature}"].to_numpy()
        for i in range(len(profiles)):
            for j in range(len(profiles)):
                ri, rj = rank.iloc[i], rank.iloc[j]
                if ri is None or rj is None or pd.isna(ri) or pd.isna(rj):
                    continue
                if ri < rj and median[i] > median[j]:
                    count += 1
    return count


def evaluate_run(
    con: duckdb.DuckDBPyConnection, run_id: str, upcoming: pd.Series, ranks: dict[str, dict[str, int]]
) -> dict[str, object]:
    """The figures of one stored run against what its customers did next quarter."""
    members = con.execute(
        "SELECT s.customer_id, s.segment_id, f.frequency FROM customer_segments s "
        "JOIN customer_features f USING (run_id, customer_id) WHERE s.run_id = ?",
        [run_id],
    ).df()
    members["next"] = members["customer_id"].map(upcoming).fillna(0)
    per_segment = members.groupby("segment_id")["next"].mean()
    total = ((members["next"] - members["next"].mean()) ** 2).sum()
    between = (members.groupby("segment_id")["next"].transform("mean") - members["next"].mean()) ** 2
    profiles = con.execute("SELECT * FROM segment_profiles WHERE run_id = ? ORDER BY segment_id", [run_id]).df()
    one_time = profiles[profiles["segment_name"].str.contains("One-time")]["segment_id"]
    purity = (
        float(
            members[members["segment_id"].isin(one_time)]
            .groupby("segment_id")["frequency"]
            .apply(lambda f: (f == 1).mean())
            .min()
        )
        if len(one_time)
        else None
    )
    names = profiles["segment_name"].tolist()
    return {
        "customers": len(members),
        "k": len(profiles),
        "min_share": float(profiles["share"].min()),
        "next_max": float(per_segment.max()),
        "next_min": float(per_segment.min()),
        "eta2": float(between.sum() / total) if total > 0 else 0.0,
        "order_violations": order_violations(profiles, ranks),
        "duplicates": len(names) - len(set(names)),
        "brackets": sum("(" in n for n in names),
        "one_time_purity": purity,
        "names": names,
    }


def candidate_evidence(con: duckdb.DuckDBPyConnection, run_id: str, upcoming: pd.Series) -> list[dict[str, float]]:
    """Every k in 2..10 refitted on a run's stored features: next-quarter separation and smallest share."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    features = con.execute(
        "SELECT customer_id, recency_days, frequency, monetary FROM customer_features WHERE run_id = ? "
        "ORDER BY customer_id",
        [run_id],
    ).df()
    if len(features) > 10_000:
        features = features.sample(10_000, random_state=42)
    matrix = np.column_stack(
        [
            features["recency_days"].to_numpy(float),
            np.log1p(features["frequency"].to_numpy(float)),
            np.log1p(features["monetary"].clip(lower=0).to_numpy(float)),
        ]
    )
    scaled = StandardScaler().fit_transform(matrix)
    nxt = features["customer_id"].map(upcoming).fillna(0).to_numpy()
    rows = []
    for k in range(2, 11):
        labels = KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled).labels_
        means = np.array([nxt[labels == c].mean() for c in range(k)])
        shares = np.bincount(labels, minlength=k) / len(labels)
        between = ((means[labels] - nxt.mean()) ** 2).sum()
        total = ((nxt - nxt.mean()) ** 2).sum()
        rows.append(
            {
                "k": k,
                "min_share": float(shares.min()),
                "ratio": float(means.max() / means.min()) if means.min() > 0 else float("inf"),
                "eta2": float(between / total) if total else 0.0,
            }
        )
    return rows


def backfill(source: Path, db: Path, quarters: tuple[str, str], env: dict[str, str], work: Path) -> None:
    """The real command, as a user runs it: one backfill over the quarters."""
    command = [sys.executable, "-m", "flows.cli", "backfill", "--from", quarters[0], "--to", quarters[1]]
    command += ["--orders", str(source), "--db", str(db), "--json"]
    done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"backfill of {source.name} failed ({done.returncode})")
    json.loads(done.stdout)


def evaluate_history(
    shape: str, seed: int, quarters: tuple[str, str], env: dict[str, str], work: Path, *, candidates: bool
) -> tuple[list[QuarterResult], list[dict[str, object]]]:
    """Generate one history, backfill it and measure every quarter."""
    table = generate_history(SHAPES[shape], seed=seed)
    source = write_orders(table, work / f"{shape}_{seed}.csv")
    db = work / f"{shape}_{seed}.duckdb"
    backfill(source, db, quarters, env, work)
    history = table.to_pandas()
    ranks = vocabulary()
    results, evidence = [], []
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute(
            "SELECT run_id, period FROM runs WHERE status = 'succeeded' ORDER BY period, finished_at"
        ).fetchall()
        for run_id, period in runs:
            upcoming = next_quarter_orders(history, Period.parse(period))
            figures = evaluate_run(con, run_id, upcoming, ranks)
            results.append(QuarterResult(shape, seed, period, **figures))
            if candidates:
                for row in candidate_evidence(con, run_id, upcoming):
                    evidence.append({"shape": shape, "seed": seed, "period": period, **row})
    finally:
        con.close()
    return results, evidence


def markdown(results: list[QuarterResult]) -> str:
    """The results as the README's table."""
    lines = [
        "| history | quarter | customers | k | min share | next max/min | eta² | order | dup | brk | one-time |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        purity = "–" if r.one_time_purity is None else f"{r.one_time_purity:.0%}"
        lines.append(
            f"| {r.shape} {r.seed} | {r.period} | {r.customers:,} | {r.k} | {r.min_share:.1%} | "
            f"{r.next_max:.2f}/{r.next_min:.2f} = {r.ratio:.1f}× | {r.eta2:.3f} | {r.order_violations} | "
            f"{r.duplicates} | {r.brackets} | {purity} |"
        )
    return "\n".join(lines)


def summary(results: list[QuarterResult]) -> str:
    """One line per shape: the spread of k and the worst of every check."""
    lines = []
    for shape in sorted({r.shape for r in results}):
        rows = [r for r in results if r.shape == shape]
        ks = [r.k for r in rows]
        purities = [r.one_time_purity for r in rows if r.one_time_purity is not None]
        purity = f"at least {min(purities):.0%}" if purities else "no segment named One-time"
        lines.append(
            f"{shape}: {len(rows)} quarters, k {min(ks)}..{max(ks)} (k=2 in {ks.count(2)}), "
            f"smallest share {min(r.min_share for r in rows):.1%}, next max/min at least "
            f"{min(r.ratio for r in rows):.1f}× (below 3× in {sum(r.ratio < 3 for r in rows)}), "
            f"order violations {sum(r.order_violations for r in rows)}, duplicates "
            f"{sum(r.duplicates for r in rows)}, brackets {sum(r.brackets for r in rows)}, one-time purity {purity}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--quarters", nargs=2, default=list(DEFAULT_QUARTERS), metavar=("FROM", "TO"))
    parser.add_argument("--env", nargs="*", default=[], metavar="NAME=VALUE", help="settings for every run")
    parser.add_argument("--candidates", action="store_true", help="also every k's next-quarter separation")
    parser.add_argument("--names", action="store_true", help="also every run's segment names")
    parser.add_argument("--work", type=Path, default=None, help="keep files here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="segment-evaluate-"))
    work.mkdir(parents=True, exist_ok=True)
    server, url = start_server(work / "prefect-home")
    env = pipeline_env(url)
    env |= dict(item.split("=", 1) for item in args.env)
    results: list[QuarterResult] = []
    evidence: list[dict[str, object]] = []
    try:
        for shape in args.shapes:
            for seed in args.seeds:
                found, seen = evaluate_history(shape, seed, tuple(args.quarters), env, work, candidates=args.candidates)
                results += found
                evidence += seen
                print(f"{shape} seed {seed}: done", file=sys.stderr, flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(results))
    print()
    print(summary(results))
    if args.names:
        print()
        for r in results:
            print(f"{r.shape} {r.seed} {r.period} k={r.k}: " + " | ".join(r.names))
    if evidence:
        print()
        frame = pd.DataFrame(evidence)
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
