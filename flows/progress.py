"""A progress line for runs started at a terminal: what the run did last, and how many candidate k
are scored. Shown only when stderr is a terminal: CI, the Prefect worker and pipes get nothing.

It listens to the tasks' own log lines (they go to Prefect's API as well), so it needs no hooks
in the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tasks.select_k import CANDIDATE_SCORED

TASK_LOGGER = "prefect.task_runs"
CANDIDATE_TASK = "score_candidate"


class ProgressListener(logging.Handler):
    """Turns task log records into a progress display."""

    def __init__(self, progress: Progress, *, title: str, candidates: int) -> None:
        super().__init__(level=logging.INFO)
        self.progress = progress
        self.status = progress.add_task(title, total=None)
        self.sweep = progress.add_task("candidate k scored", total=candidates, visible=False)
        self.title = title

    def emit(self, record: logging.LogRecord) -> None:
        task_name = str(getattr(record, "task_run_name", "")).rsplit("-", 1)[0]
        if task_name == CANDIDATE_TASK:  # our own line when a candidate is scored; Prefect's are not counted
            if record.msg == CANDIDATE_SCORED:
                self.progress.update(self.sweep, advance=1, visible=True)
            return
        self.progress.update(self.status, description=f"{self.title}: {record.getMessage()[:100]}")


@contextmanager
def run_progress(*, title: str, candidates: int, enabled: bool) -> Iterator[None]:
    """Show progress on stderr while the block runs, if enabled and stderr is a terminal."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    listener = ProgressListener(progress, title=title, candidates=candidates)
    logger = logging.getLogger(TASK_LOGGER)
    logger.addHandler(listener)
    try:
        with progress:
            yield
    finally:
        logger.removeHandler(listener)
