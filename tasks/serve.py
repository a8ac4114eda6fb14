"""Serve: bring the BI surface up to date with the warehouse after every run, failed ones too."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation import faults
from warehouse import Warehouse
from warehouse.serving import SyncResult


@task(cache_policy=NO_CACHE)
def serve(warehouse: Warehouse) -> SyncResult:
    """Publish the finished runs the BI surface does not show yet, then their run records.

    Returns before readers see them: the flow waits (`wait_until_visible`) before it returns."""
    faults.pause("before_serving", get_run_logger())  # test only: a crash test kills the run between the commits
    result = warehouse.serve(wait=False)
    if result.rebuilt and not result.created:  # moved, copied, mounted elsewhere, migrated or missing: say why
        get_run_logger().warning("BI surface %s rebuilt: %s", result.bi_path, result.reason)
    return result
