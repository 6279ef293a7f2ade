"""The Prefect flow end to end (test harness: a temporary API, ~10 s once per session).

Few flow runs on purpose (each costs >= 1 s): one full run, one one-year rerun, and the
deployment's registration with its cron schedule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_raw, query
from etl.warehouse.query import run_query
from etl.warehouse.schemas import TABLES

pytestmark = pytest.mark.flow

PROJECT = Path(__file__).resolve().parents[1]


def _dump(wh: Path) -> dict[str, list]:
    return {t: sorted(map(repr, run_query(f"SELECT * FROM {t}", wh)[1])) for t in TABLES}


@pytest.fixture(scope="module")
def flow_run(prefect_harness, tmp_path_factory):
    from etl.pipeline import nightly

    root = tmp_path_factory.mktemp("flow")
    raw = make_raw(root)
    wh = root / "warehouse"
    state = nightly(raw=str(raw), warehouse=str(wh), return_state=True)
    return raw, wh, state


def test_flow_builds_the_warehouse(flow_run):
    raw, wh, state = flow_run
    assert state.is_completed(), state.message
    summary = state.result()
    assert (summary["loaded"], summary["quarantined"]) == (5, 3)
    assert query(wh, "SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 1") == \
        [("loaded", 5), ("quarantined", 3)]
    # a broken file is recorded with its reason while the rest loads
    assert query(wh, "SELECT error_reason FROM reports WHERE source_file = 'broken/empty.txt'") == \
        [("empty",)]
    assert ("hongze", 2023, "review_sum", -11) in query(
        wh, "SELECT agency_id, year, rule, delta FROM validation_issues")
    assert query(wh, "SELECT count(*) > 0 FROM aggregates WHERE region_path = '(all)'") == [(True,)]


def test_flow_uses_few_task_runs_and_publishes_artifacts(flow_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    _, _, state = flow_run
    with get_client(sync_client=True) as client:
        flt = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        task_runs = client.read_task_runs(flow_run_filter=flt)
        keys = {a.key for a in client.read_artifacts()}
    names = sorted({t.name.rsplit("-", 1)[0] for t in task_runs})
    # one task per stage and one per parse batch (8 files -> 1 batch): not one per file
    assert len(task_runs) <= 10, names
    assert "parse_batch" in names and "validate" in names
    assert {"nightly-summary", "nightly-rules-broken", "nightly-quarantined"} <= keys


def test_flow_year_rerun_gives_identical_tables(flow_run):
    from etl.pipeline import nightly

    raw, wh, _ = flow_run
    before = _dump(wh)
    state = nightly(year=2023, raw=str(raw), warehouse=str(wh), return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["year"] == 2023
    assert _dump(wh) == before


def test_deployment_registers_with_its_cron_schedule(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.flows import load_flow_from_entrypoint

    from etl.pipeline import deployment_kwargs

    # the entrypoint prefect.yaml names loads, and carries the flow
    flow = load_flow_from_entrypoint(str(PROJECT / "flows" / "nightly.py") + ":nightly")
    assert flow.name == "nightly"
    for cron, tz in (("0 2 * * *", "Asia/Shanghai"), ("30 3 * * 1-5", "UTC")):
        dep_id = flow.to_deployment(**deployment_kwargs(cron, tz, tmp_path / "raw",
                                                        tmp_path / "wh")).apply()
        with get_client(sync_client=True) as client:
            dep = client.read_deployment(dep_id)
        schedule = dep.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == (cron, tz)
        assert dep.parameters["raw"] == str((tmp_path / "raw").resolve())


def test_etl_run_command(prefect_harness, tmp_path, capsys):
    """`etl run` = the flow with progress and a printed summary; exit 0 even with broken files,
    2 when the raw folder does not exist."""
    from etl.pipeline import run_command

    raw = make_raw(tmp_path)
    assert run_command(year=None, raw=raw, warehouse=tmp_path / "wh") == 0
    out = capsys.readouterr().out
    assert "quarantined broken/empty.txt: empty" in out and "review_sum: 2" in out
    assert query(tmp_path / "wh", "SELECT count(*) FROM reports") == [(8,)]
    assert run_command(year=None, raw=tmp_path / "nope", warehouse=tmp_path / "wh") == 2
