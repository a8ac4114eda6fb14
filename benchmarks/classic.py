"""The classic one-off Mall Customers script, kept as the benchmark's yardstick.

What the Kaggle notebooks do: read the CSV with pandas, scale income and spending, fit K-Means
for k = 1..10 (n_init=10) for the elbow, take the elbow's k (kneed here, where a notebook
eyeballs it), fit that k again, save a customer -> cluster CSV, pickle the model, draw the
elbow plot and the coloured scatter.

    python benchmarks/classic.py customers.csv out_folder/

Prints one JSON line: {"k": ..., "rows": ...}.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from kneed import KneeLocator
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

FEATURES = ["Annual Income (k$)", "Spending Score (1-100)"]


def main(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    customers = pd.read_csv(source)
    scaled = StandardScaler().fit_transform(customers[FEATURES])
    ks = list(range(1, 11))
    inertias = [KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled).inertia_ for k in ks]
    k = int(KneeLocator(ks, inertias, curve="convex", direction="decreasing").knee or 5)
    model = KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled)
    customers.assign(Cluster=model.labels_).to_csv(out / "clusters.csv", index=False)
    with (out / "kmeans.pkl").open("wb") as handle:
        pickle.dump(model, handle)
    plt.figure()
    plt.plot(ks, inertias, marker="o")
    plt.xlabel("k")
    plt.ylabel("inertia")
    plt.savefig(out / "elbow.png")
    plt.figure()
    plt.scatter(customers[FEATURES[0]], customers[FEATURES[1]], c=model.labels_, s=2)
    plt.savefig(out / "clusters.png")
    print(json.dumps({"k": k, "rows": len(customers)}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
