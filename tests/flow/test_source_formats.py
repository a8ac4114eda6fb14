"""Retailers' own exports of one customer table (delimiters, headers, Parquet, text ids) give the
same segments through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import INCOME, SPENDING, Warehouse, invoke, query


def variants(mall: pd.DataFrame, folder: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """The Mall data as retailers export it."""
    snake = mall.rename(
        columns={
            "CustomerID": "customer_id",
            "Gender": "gender",
            "Age": "age",
            INCOME: "annual_income",
            SPENDING: "spending_score",
        }
    )
    mapped = mall.rename(columns={"CustomerID": "Customer Id", INCOME: "Income", SPENDING: "Score"})
    text_ids = mall.assign(CustomerID=[f"C-{i:05d}" for i in mall["CustomerID"]])
    files = {
        "semicolons": (folder / "semi.csv", ()),
        "snake_case": (folder / "snake.csv", ()),
        "parquet": (folder / "mall.parquet", ()),
        "mapped": (folder / "mapped.csv", ("--columns", "annual_income=Income,spending_score=Score")),
        "text ids": (folder / "text.csv", ()),
        "tabs": (folder / "tabs.tsv", ("--delimiter", "tab")),
    }
    mall.to_csv(files["semicolons"][0], index=False, sep=";")
    snake.to_csv(files["snake_case"][0], index=False)
    mall.to_parquet(files["parquet"][0])
    mapped.to_csv(files["mapped"][0], index=False)
    text_ids.to_csv(files["text ids"][0], index=False)
    mall.to_csv(files["tabs"][0], index=False, sep="\t")
    return files


def segments_of(db: Path) -> pd.DataFrame:
    segments = query(db, "SELECT customer_id, segment_id FROM customer_segments ORDER BY customer_id")
    segments["customer_id"] = segments["customer_id"].str.removeprefix("C-").astype(int)
    return segments.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("name", ["semicolons", "snake_case", "parquet", "mapped", "text ids", "tabs"])
def test_retailers_own_exports_give_the_same_segments(
    name: str, mall_run: Warehouse, workdir: Path, mall_csv: Path
) -> None:
    """Each export against the original (the session's first Mall run, same period and settings)."""
    path, extra = variants(pd.read_csv(mall_csv), workdir)[name]
    db = workdir / f"{name.replace(' ', '_')}.duckdb"
    result = invoke("run", "--source", path, "--period", "2026Q1", "--db", db, "--json", *extra)
    assert result.exit_code == 0, f"{name}: {result.output}"
    summary = json.loads(result.stdout)
    assert summary["k"] == 5, name
    assert summary["segments"] == mall_run.summary["segments"], name
    assert segments_of(db).equals(segments_of(mall_run.db)), name
    if name == "semicolons":
        run = query(db, "SELECT delimiter, source_format, column_map FROM runs").iloc[0]
        assert (run.delimiter, run.source_format) == (";", "csv")
    if name == "mapped":
        assert json.loads(query(db, "SELECT column_map FROM runs")["column_map"].item())["annual_income"] == "Income"
    if name == "parquet":
        assert query(db, "SELECT source_format FROM runs")["source_format"].item() == "parquet"
    if name == "text ids":
        ids = query(db, "SELECT customer_id, customer_id_int FROM current_segments ORDER BY 1")
        assert ids["customer_id"].iloc[0] == "C-00001"
        assert ids["customer_id_int"].isna().all()
