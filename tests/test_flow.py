"""The Prefect side: the flow and its tasks as the API sees them, run logs, artifacts, and the
deployment definitions (test harness: a temporary API, ~10 s once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import make_raw, nightly_flow, query

pytestmark = pytest.mark.flow

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def flow_run(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("flow")
    raw = make_raw(root)
    state = nightly_flow().nightly(raw=str(raw), warehouse=str(root / "warehouse"),
                                   return_state=True)
    assert state.is_completed(), state.message
    return state


def _task_runs(state):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        flt = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        return client.read_task_runs(flow_run_filter=flt)


def test_tasks_are_stages_with_descriptive_names(flow_run):
    names = sorted(t.name for t in _task_runs(flow_run))
    # one task per stage and one per parse batch (named by year and number), never one per file
    assert len(names) <= 20, names
    assert {"discover", "resolve", "write", "validate", "aggregate", "database",
            "publish"} <= {n.rsplit("-", 1)[0] for n in names}
    assert "parse 2023 batch 1/1" in names and "parse unknown year batch 1/1" in names


def test_run_logs_reach_the_api(flow_run):
    """The stages' `etl` log lines are run logs in the API (shipped in batches: flush, poll)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    flt = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.state_details.flow_run_id]))
    deadline = time.monotonic() + 20
    while True:
        with get_client(sync_client=True) as client:
            text = "\n".join(entry.message for entry in client.read_logs(log_filter=flt))
        if "publish: current -> " in text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "discover: 8 files" in text
    assert "parse 2023 batch 1/1: " in text
    assert "publish: current -> " in text


def test_an_early_walk_is_taken_by_its_own_run_only(prefect_harness, tmp_path):
    """`etl run` walks the raw folder while Prefect's server starts (walk_early); the flow's
    discover task takes that walk for the same raw folder, year and warehouse, and no other."""
    import shutil

    from conftest import FIXTURES

    nightly = nightly_flow()
    raw = make_raw(tmp_path)
    wh, other = tmp_path / "warehouse", tmp_path / "other"
    nightly.walk_early(tmp_path / "no such folder", wh, None)     # left for the flow to report
    assert nightly._early_walks == {} and not wh.exists()
    nightly.walk_early(raw, wh, None)
    nightly.walk_early(raw, other, None)
    shutil.copy(FIXTURES / "000_0ef24cf9c99c7ecf.txt", raw / "added_after_the_walk.txt")
    # the walk made before the file was added is the one this run took: 8 files, not 9
    assert nightly.nightly(raw=str(raw), warehouse=str(wh))["files"] == 8
    # a run for another warehouse did not take it: the other walk is still waiting
    assert set(nightly._early_walks) == {(raw.resolve(), None, other.resolve())}
    # `etl run` walks now (9 files) and leaves no walk behind for a later flow in this process
    assert nightly.run_command(None, raw, wh) == 0
    assert nightly._early_walks == {}
    assert query(wh, "SELECT files FROM runs ORDER BY started_at DESC LIMIT 1") == [(9,)]


def test_artifacts_are_published(flow_run):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {"nightly-summary", "nightly-rules-broken", "nightly-problem-files", "nightly-report"} <= keys


def test_definitions_load_and_agree(prefect_harness, tmp_path):
    """Smoke test: the entrypoint prefect.yaml names loads; `etl serve` and `prefect deploy`
    register ONE deployment name, with the same schedule and concurrency limit 1."""
    from prefect.client.orchestration import get_client
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((PROJECT / "prefect.yaml").read_text("utf-8"))
    (dep_spec,) = spec["deployments"]
    flows = nightly_flow()
    flow = load_flow_from_entrypoint(str(PROJECT / dep_spec["entrypoint"]))
    assert flow.name == "nightly"
    assert dep_spec["name"] == flows.DEPLOYMENT
    assert dep_spec["concurrency_limit"] == flows.CONCURRENCY_LIMIT == 1
    assert (dep_spec["schedules"][0]["cron"], dep_spec["schedules"][0]["timezone"]) == \
        (flows.DEFAULT_CRON, flows.DEFAULT_TIMEZONE)
    for cron, tz in ((flows.DEFAULT_CRON, flows.DEFAULT_TIMEZONE), ("30 3 * * 1-5", "UTC")):
        dep_id = flow.to_deployment(**flows.deployment_kwargs(cron, tz, tmp_path / "raw",
                                                              tmp_path / "wh")).apply()
        with get_client(sync_client=True) as client:
            dep = client.read_deployment(dep_id)
        schedule = dep.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == (cron, tz)
        assert dep.name == flows.DEPLOYMENT
        assert dep.global_concurrency_limit is not None and dep.global_concurrency_limit.limit == 1
        assert dep.parameters["raw"] == str((tmp_path / "raw").resolve())
