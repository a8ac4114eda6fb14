"""The progress line: task log records turned into what the run did last and candidates scored."""

from __future__ import annotations

import io
import logging

from rich.console import Console
from rich.progress import Progress

from flows.progress import ProgressListener
from tasks.select_k import CANDIDATE_SCORED


def test_progress_shows_the_last_step_and_counts_candidates() -> None:
    buffer = io.StringIO()
    progress = Progress(console=Console(file=buffer, force_terminal=True, width=120))
    listener = ProgressListener(progress, title="2026Q1", candidates=3)
    logger = logging.getLogger("progress-test")
    for task_run, message in (
        ("ingest-1a2", "ingested 1000000 rows from x.csv"),
        ("score_candidate-3b4", CANDIDATE_SCORED),
        ("score_candidate-5c6", "Finished in state Completed()"),  # Prefect's own words count for nothing
        ("score_candidate-7d8", CANDIDATE_SCORED),
    ):
        args = (4,) if message == CANDIDATE_SCORED else ()
        record = logger.makeRecord("progress-test", logging.INFO, __file__, 1, message, args, None)
        record.task_run_name = task_run
        listener.emit(record)
    tasks = {task.description: task for task in progress.tasks}
    assert "2026Q1: ingested 1000000 rows from x.csv" in tasks
    assert tasks["candidate k scored"].completed == 2
    assert tasks["candidate k scored"].total == 3
