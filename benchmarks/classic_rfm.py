"""The classic pandas RFM script, kept as the orders benchmark's yardstick.

What the RFM notebooks do: read the order CSV with pandas, take the day after the last order as
the snapshot, group by customer for recency (days since the last order), frequency (distinct
orders) and monetary (sum of amounts), scale, fit K-Means for k = 1..10 (n_init=10) for the
elbow, fit k = 5, save customer -> cluster.

    python benchmarks/classic_rfm.py orders.csv out_folder/

Prints one JSON line: {"k": 5, "customers": ..., "lines": ...}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler


def main(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    orders = pd.read_csv(source, parse_dates=["order_date"])
    snapshot = orders["order_date"].max() + pd.Timedelta(days=1)
    rfm = orders.groupby("customer_id").agg(
        recency=("order_date", lambda d: (snapshot - d.max()).days),
        frequency=("order_id", "nunique"),
        monetary=("amount", "sum"),
    )
    scaled = StandardScaler().fit_transform(rfm)
    inertias = [KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled).inertia_ for k in range(1, 11)]
    model = KMeans(n_clusters=5, n_init=10, random_state=42).fit(scaled)
    rfm.assign(cluster=model.labels_).to_csv(out / "clusters.csv")
    print(json.dumps({"k": 5, "customers": len(rfm), "lines": len(orders), "inertias": len(inertias)}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
