"""One period's run from its start to its end, around the stages the flow wires.

    with period_run(request, settings, period, source=...) as run:
        if run.skipped:
            return run.summary
        ...the stages...
        run.published(publish(...))
    return run.summary

`period_run` holds the pipeline's writer lock for the whole run, answers a period that already
succeeded (backfills skip it), records the run as started, and at the end, whatever happened,
brings the BI surface up to date, writes the report and the Prefect artifacts. A failure is
recorded with its run (its validation failures too) and raised again as the user should read it;
the BI surface and report still show the failed run, but their own errors never hide the run's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from prefect.runtime import flow_run

from segmentation.periods import Period
from segmentation.results import OrderHistory, RunSummary
from segmentation.settings import RunRequest, Settings
from tasks.orders import release_history
from tasks.report import publish_artifacts, report
from tasks.runs import find_succeeded_run, record_failure, restated, start_run
from tasks.serve import serve
from warehouse import Warehouse, WarehouseError, writer_lock
from warehouse.serving import ServingError

# What a failed run keeps of its source for whoever investigates (tasks/ingest.py's, for customer
# tables); called with (settings, warehouse, run_id, source).
KeepSource = Callable[[Settings, Warehouse, str, str], None]


@dataclass
class PeriodRun:
    """A period's run while it runs: where it writes, its run_id, and its summary once published."""

    request: RunRequest
    settings: Settings
    warehouse: Warehouse  # made once per run and handed to every stage that reads or writes it
    period: Period
    source: str  # the file the run reads (a customer table or an order history), as given
    run_id: str = ""
    summary: RunSummary | None = None
    skipped: bool = False
    history: OrderHistory | None = None  # an order history read for the run: released when it ends

    def published(self, summary: RunSummary) -> None:
        self.summary = summary


@contextmanager
def period_run(
    request: RunRequest, settings: Settings, period: Period, *, source: str, keep_source: KeepSource | None = None
) -> Iterator[PeriodRun]:
    """The run's lifecycle (see the module docstring)."""
    run = PeriodRun(request, settings, Warehouse.of(settings), period, source)
    with writer_lock(settings.db_path, wait_s=settings.writer_wait_s):
        if request.skip_if_succeeded and (done := find_succeeded_run(run.warehouse, period)):
            run.skipped = True
            run.summary = RunSummary(
                run_id=done,
                period=period.label,
                status="skipped",
                mode=request.mode,
                db_path=str(settings.db_path.resolve()),
                bi_path=str(settings.bi_path.resolve()),
            )
            yield run
            return
        run.run_id = start_run(settings, run.warehouse, period, source, flow_run.id)
        try:
            yield run
        except Exception as error:
            fail(run, error, keep_source)
            if (told := restated(error, run.run_id)) is not error:
                raise told from None
            raise
        finally:
            if run.history is not None:
                release_history(run.history)  # unless a backfill reads it again for its next period
        run.summary = finish(run, quietly=False)


def fail(run: PeriodRun, error: Exception, keep_source: KeepSource | None) -> None:
    """Record the failure with its run, then show the failed run on the BI surface and in its report."""
    if keep_source is not None:
        keep_source(run.settings, run.warehouse, run.run_id, run.source)
    record_failure(run.warehouse, run.run_id, error)
    with suppress(AttributeError):
        error.recorded_in_run = True  # its message is in the run's logs now (flows/logs.py)
    finish(run, quietly=True)


def finish(run: PeriodRun, *, quietly: bool) -> RunSummary | None:
    """Bring the BI surface up to date, write the report and the Prefect artifacts (in the flow's
    context: they belong to the flow run), and return once every BI reader's next query shows the
    run. `quietly`: a failed run's own error is the one to report, not these steps'."""
    try:
        served = serve(run.warehouse)
        page = report(run.settings, run.warehouse, run.run_id)
        publish_artifacts(run.settings, run.warehouse, run.run_id, page)
        served.wait_until_visible()
    except (ServingError, WarehouseError):
        if quietly:
            return None
        raise
    if run.summary is None:
        return None
    rebuilt = served.reason if served.rebuilt and not served.created else None
    return replace(run.summary, report_path=page, bi_rebuilt=rebuilt)
