"""The checks made before Prefect starts: a bound of the source's rows, a k they can fill, a
fitted run to score with."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli.checks import check_k_fits, check_model_run, rows_at_most
from segmentation.errors import PipelineError
from segmentation.periods import Period
from segmentation.settings import make_settings


def csv(path: Path, data: bytes) -> SimpleNamespace:
    path.write_bytes(data)
    return SimpleNamespace(kind="csv", path=path)


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (b"id\n1\n2\n3\n", 3),
        (b"id\n1\n2\n3", 3),
        (b"id\r\n1\r\n2\r\n", 5),  # CRLF counts twice: an upper bound
        (b"id\r1\r2\r", 2),  # a spreadsheet's CR-only lines
        (b"id\n", 0),
        (b"id", 0),
        (b"", -1),
    ],
    ids=["LF", "no final break", "CRLF", "CR", "header only", "header without break", "empty"],
)
def test_rows_at_most_counts_line_breaks_less_the_header(tmp_path: Path, data: bytes, rows: int) -> None:
    assert rows_at_most(csv(tmp_path / "c.csv", data)) == rows


def test_rows_at_most_of_parquet_is_its_footer_count(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1, 2, 3, 4, 5]}), tmp_path / "c.parquet")
    assert rows_at_most(SimpleNamespace(kind="parquet", path=tmp_path / "c.parquet")) == 5


def test_a_k_below_the_rows_passes(tmp_path: Path) -> None:
    check_k_fits(csv(tmp_path / "c.csv", b"id\n1\n2\n3\n"), [2], pinned=True)


def test_a_file_without_rows_is_left_to_the_flow(tmp_path: Path) -> None:
    check_k_fits(csv(tmp_path / "c.csv", b"id\n"), [2, 3], pinned=False)


def test_a_pinned_k_the_rows_cannot_fill_is_refused(tmp_path: Path) -> None:
    source = csv(tmp_path / "c.csv", b"id\n1\n2\n3\n")
    with pytest.raises(PipelineError, match=r"^--k 3: .*c\.csv has at most 3 customer row\(s\); k must be below"):
        check_k_fits(source, [3], pinned=True)


def test_candidate_ks_the_rows_cannot_fill_are_refused(tmp_path: Path) -> None:
    source = csv(tmp_path / "c.csv", b"id\n1\n2\n")
    with pytest.raises(
        PipelineError, match=r"2 customer\(s\) cannot be split into 2 or more segments: need more than 2 rows$"
    ):
        check_k_fits(source, [2, 3, 4], pinned=False)


def test_scoring_without_a_warehouse_is_refused(tmp_path: Path) -> None:
    settings = make_settings(db_path=tmp_path / "none.duckdb")
    with pytest.raises(PipelineError, match=r"none\.duckdb does not exist, so there is no fitted run to score with"):
        check_model_run(settings, None, Period.parse("2026-01"))


def test_a_warehouse_never_served_is_left_to_the_flow(tmp_path: Path) -> None:
    (tmp_path / "w.duckdb").write_bytes(b"")
    check_model_run(make_settings(db_path=tmp_path / "w.duckdb"), "some-run", Period.parse("2026-01"))
