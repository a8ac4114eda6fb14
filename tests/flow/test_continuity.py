"""Segments keep their identity across periods, on the real Mall data, through the real command.

Each test starts from the session's first Mall run (`mall_run`, 2026Q1) and adds a second period."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.model import SegmentModel
from tests.helpers import INCOME, SPENDING, Warehouse, invoke_json, query, succeed


def segment(*args: str | Path, **env: str):
    return invoke_json(*args, env=env)


def run(db: Path, source: Path, period: str, **env: str) -> dict:
    return succeed("run", "--source", source, "--period", period, "--db", db, env=env)


def segments_by_customer(db: Path, run_id: str) -> pd.DataFrame:
    return query(
        db, "SELECT customer_id, segment_id, segment_name FROM customer_segments WHERE run_id = ? ORDER BY 1", [run_id]
    )


def test_a_reseeded_run_on_shuffled_rows_keeps_every_customer_in_the_same_segment(
    mall_run: Warehouse, workdir: Path, mall_csv: Path
) -> None:
    first, db = mall_run.summary, mall_run.db
    shuffled = workdir / "shuffled.csv"
    pd.read_csv(mall_csv).sample(frac=1, random_state=5).to_csv(shuffled, index=False)
    second = run(db, shuffled, "2026Q2", SEGMENT_RANDOM_STATE="7")
    before, after = segments_by_customer(db, first["run_id"]), segments_by_customer(db, second["run_id"])
    assert after.equals(before)
    transitions = query(db, "SELECT * FROM segment_transitions WHERE run_id = ?", [second["run_id"]])
    assert (transitions["from_segment"] == transitions["to_segment"]).all()
    assert transitions["n_customers"].sum() == 200
    assert (second["ari_vs_reference"], second["kept_share"], second["drift"]) == (1.0, 1.0, [])
    stored = query(
        db,
        "SELECT ari_vs_reference, kept_share, drift_flags, reference_run_id FROM runs WHERE run_id = ?",
        [second["run_id"]],
    ).iloc[0]
    assert (stored.ari_vs_reference, stored.kept_share, stored.drift_flags) == (1.0, 1.0, 0)
    assert stored.reference_run_id == first["run_id"]
    lineage = query(db, "SELECT status FROM segment_lineage WHERE run_id = ?", [second["run_id"]])
    assert lineage["status"].tolist() == ["matched"] * 5


def test_a_group_that_starts_spending_moves_and_only_its_segments_are_flagged(
    mall_run: Warehouse, workdir: Path, mall_csv: Path
) -> None:
    first, db = mall_run.summary, mall_run.db
    data = pd.read_csv(mall_csv)
    high_low = data[(data[INCOME] > 70) & (data[SPENDING] < 40)].sort_values(INCOME)
    movers = high_low.index[:30]
    data.loc[movers, SPENDING] = np.random.default_rng(0).integers(75, 95, len(movers))
    moved = workdir / "moved.csv"
    data.to_csv(moved, index=False)
    ids = {s["name"]: s["segment_id"] for s in first["segments"]}
    second = run(db, moved, "2026Q2")
    high_high, old_high_low = ids["High income · High spending"], ids["High income · Low spending"]
    after = segments_by_customer(db, second["run_id"]).set_index("customer_id")
    mover_ids = data.loc[movers, "CustomerID"].astype(str)
    assert (after.loc[mover_ids, "segment_id"] != old_high_low).all()  # none of the 30 is a low spender now
    transitions = query(db, "SELECT * FROM segment_transitions WHERE run_id = ?", [second["run_id"]])
    moves = transitions.set_index(["from_segment", "to_segment"])["n_customers"]
    assert moves[(old_high_low, high_high)] >= 27  # and nearly all joined the high spenders
    unchanged = [sid for name, sid in ids.items() if "High income" not in name]
    before = segments_by_customer(db, first["run_id"]).set_index("customer_id")
    stay = before.index[before["segment_id"].isin(unchanged)]
    assert (after.loc[stay, "segment_id"] == before.loc[stay, "segment_id"]).mean() >= 0.95
    lineage = query(db, "SELECT * FROM segment_lineage WHERE run_id = ?", [second["run_id"]]).set_index("segment_id")
    for sid in unchanged:  # the other segments keep their IDs and names
        assert lineage.loc[sid, "status"] == "matched"
        assert lineage.loc[sid, "segment_name"] == lineage.loc[sid, "reference_name"]
    flagged = set(query(db, "SELECT segment_id FROM drift_flags WHERE run_id = ?", [second["run_id"]])["segment_id"])
    assert flagged
    assert flagged <= {high_high, old_high_low} | (set(after["segment_id"]) - set(ids.values()))
    assert any(f"segment {high_high} 'High income · High spending' went from 19.5%" in r for r in second["drift"])


def test_a_segment_that_disappears_is_retired_and_a_new_group_gets_a_new_id(
    mall_run: Warehouse, workdir: Path, mall_csv: Path
) -> None:
    first, db = mall_run.summary, mall_run.db
    data = pd.read_csv(mall_csv)
    low_low = data[(data[INCOME] < 40) & (data[SPENDING] < 40)]
    rng = np.random.default_rng(0)
    newcomers = pd.DataFrame(
        {
            "CustomerID": np.arange(1001, 1031),
            "Gender": "Female",
            "Age": 30,
            INCOME: rng.integers(56, 64, 30),
            SPENDING: rng.integers(94, 100, 30),
        }
    )
    swapped = workdir / "swapped.csv"
    pd.concat([data.drop(low_low.index), newcomers]).to_csv(swapped, index=False)
    second = run(db, swapped, "2026Q2")
    gone = {s["segment_id"] for s in first["segments"] if s["name"] == "Low income · Low spending"}.pop()
    lineage = query(db, "SELECT segment_id, status FROM segment_lineage WHERE run_id = ?", [second["run_id"]])
    status = dict(lineage.values.tolist())
    assert status[gone] == "retired"
    new_ids = [sid for sid, s in status.items() if s == "new"]
    assert len(new_ids) == 1
    assert new_ids[0] > 5  # never used before
    newcomer_segments = (
        segments_by_customer(db, second["run_id"])
        .set_index("customer_id")
        .loc[newcomers["CustomerID"].astype(str), "segment_id"]
    )
    assert (newcomer_segments == new_ids[0]).all()
    dimension = query(db, "SELECT * FROM segment_dimension ORDER BY segment_id").set_index("segment_id")
    assert dimension.loc[gone, ["status", "first_period", "last_period"]].tolist() == ["retired", "2026Q1", "2026Q1"]
    assert dimension.loc[new_ids[0], ["status", "first_period"]].tolist() == ["active", "2026Q2"]
    assert (dimension.drop(index=[gone, new_ids[0]])["status"] == "active").all()
    flags = set(query(db, "SELECT flag FROM drift_flags WHERE run_id = ?", [second["run_id"]])["flag"])
    assert {"new_segment", "retired_segment"} <= flags


def test_scoring_assigns_with_the_saved_model_and_refits_nothing(
    mall_run: Warehouse, workdir: Path, mall_csv: Path
) -> None:
    first, db = mall_run.summary, mall_run.db
    month = workdir / "may.csv"
    data = pd.read_csv(mall_csv)
    data.assign(**{SPENDING: (data[SPENDING] + 7).clip(upper=100)}).to_csv(month, index=False)
    result, scored = segment("score", "--period", "2026-05", "--source", str(month), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert (scored["mode"], scored["model_run_id"]) == ("score", first["run_id"])
    model_run = query(db, "SELECT model_path, model_sha256 FROM runs WHERE run_id = ?", [first["run_id"]]).iloc[0]
    model = SegmentModel.load(model_run.model_path, sha256=model_run.model_sha256)
    scaled = model.transform(data[[INCOME]].assign(s=(data[SPENDING] + 7).clip(upper=100)).to_numpy(float))
    expected = model.predict(scaled)
    stored = segments_by_customer(db, scored["run_id"]).set_index("customer_id").loc[data["CustomerID"].astype(str)]
    assert stored["segment_id"].tolist() == expected.tolist()
    row = query(db, "SELECT mode, model_run_id, model_path, k FROM runs WHERE run_id = ?", [scored["run_id"]]).iloc[0]
    assert (row["mode"], row["model_run_id"], row["model_path"], row["k"]) == (
        "score",
        first["run_id"],
        model_run.model_path,
        5,
    )
    assert query(db, "SELECT count(*) AS n FROM k_selection WHERE run_id = ?", [scored["run_id"]])["n"].item() == 0
    own = Path(model_run.model_path).parents[1] / scored["run_id"]
    assert not (own / "model.joblib").exists()  # no model file of its own ...
    assert (own / "report.html").exists()  # ... but a report like any run


def test_scoring_refuses_a_model_file_changed_by_one_byte(mall_run: Warehouse, workdir: Path, mall_csv: Path) -> None:
    first, db = mall_run.summary, mall_run.db
    path = Path(query(db, "SELECT model_path FROM runs WHERE run_id = ?", [first["run_id"]])["model_path"].item())
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))
    result, failed = segment("score", "--period", "2026-05", "--source", str(mall_csv), "--db", str(db))
    assert result.exit_code == 1
    assert f"model file {path} has sha256" in result.stderr
    assert "refusing to load a file that changed since it was written" in result.stderr
    assert failed["status"] == "failed"
    runs = query(db, "SELECT status FROM runs WHERE period = '2026-05'")
    assert runs["status"].tolist() == ["failed"]
    published = query(db, "SELECT count(*) AS n FROM customer_segments WHERE period = '2026-05'")["n"].item()
    assert published == 0


def test_k_choice_on_age_income_and_spending_records_every_methods_answer(
    workdir: Path, db: Path, mall_csv: Path
) -> None:
    result, summary = segment(
        "run",
        "--source",
        str(mall_csv),
        "--period",
        "2026Q1",
        "--db",
        str(db),
        "--features",
        "age,annual_income,spending_score",
    )
    assert result.exit_code == 0, result.output
    methods = json.loads(query(db, "SELECT k_methods FROM runs")["k_methods"].item())
    assert set(methods) == {"elbow", "silhouette", "calinski_harabasz", "davies_bouldin", "stability"}
    assert len(set(methods.values())) > 1  # on this data the methods disagree ...
    assert "methods disagree" in summary["k_reason"]  # ... and the reason says so
    stability = query(db, "SELECT stability FROM k_selection WHERE chosen")["stability"].item()
    assert stability >= 0.8
