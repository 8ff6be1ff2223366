"""How many processes `newsflow up` runs per stage, and what sets replicas apart: read from
the pipeline's table, so a new stage gets replicas without being listed here."""

from __future__ import annotations

import dataclasses

import pytest

from newsflow_cli.replicas import (
    consumer_name,
    default_replicas,
    parse_scale,
    process_name,
    replica_metrics_port,
    replicas_to_run,
)
from newsflow_cli.supervisor import StageProcesses
from shared.pipeline import PIPELINE, STAGE_NAMES, stage_named


def test_on_two_cores_the_enricher_gets_two_and_the_rest_one() -> None:
    replicas = default_replicas(PIPELINE, cores=2)
    assert replicas["enricher"] == 2
    assert {name: n for name, n in replicas.items() if name != "enricher"} == {
        name: 1 for name in STAGE_NAMES if name != "enricher"
    }


def test_one_core_runs_one_of_each_and_more_cores_go_to_the_costly_stages() -> None:
    assert set(default_replicas(PIPELINE, cores=1).values()) == {1}
    on_eight = default_replicas(PIPELINE, cores=8)
    assert on_eight["enricher"] > on_eight["parser"] >= 1
    assert all(n >= 1 for n in on_eight.values())
    # Every stage keeps up with what the whole machine can do.
    total = sum(stage.cpu_ms for stage in PIPELINE)
    for stage in PIPELINE:
        assert on_eight[stage.name] * 1000 / stage.cpu_ms >= 8 * 1000 / total - 1e-6


def test_a_stage_of_any_row_gets_replicas_by_its_cost() -> None:
    heavy = dataclasses.replace(stage_named("sink"), name="alerts", cpu_ms=300.0)
    replicas = default_replicas([*PIPELINE, heavy], cores=4)
    assert replicas["alerts"] >= 3


def test_scale_overrides_the_default_for_the_stages_it_names() -> None:
    chosen = list(STAGE_NAMES)
    replicas = replicas_to_run(chosen, parse_scale(["enricher=3", "parser=2"], chosen), cores=2)
    assert replicas["enricher"] == 3
    assert replicas["parser"] == 2
    assert replicas["sink"] == 1


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("enricher", "STAGE=N"),
        ("enricher=two", "STAGE=N"),
        ("enricher=0", "at least 1"),
        ("nosuch=2", "no stage named 'nosuch'"),
        ("api=2", "no stage named 'api'"),
    ],
)
def test_a_bad_scale_says_what_is_wrong(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_scale([value], list(STAGE_NAMES))


def test_scale_of_a_stage_not_run_is_refused() -> None:
    with pytest.raises(ValueError, match="not among the stages"):
        parse_scale(["enricher=2"], ["parser"])


def test_each_replica_has_its_own_process_consumer_name_and_metrics_port() -> None:
    procs = StageProcesses(
        ["parser", "enricher", "api"],
        replicas={"enricher": 3},
        consumer_prefix="host-a",
        env={"NEWSFLOW_HTTP_PORT": ""},
    )
    assert list(procs.replicas) == ["parser", "enricher", "enricher.2", "enricher.3", "api"]
    names = {name: procs.env_of(name).get("NEWSFLOW_CONSUMER_NAME") for name in procs.replicas}
    assert names == {
        "parser": "host-a-parser-1",
        "enricher": "host-a-enricher-1",
        "enricher.2": "host-a-enricher-2",
        "enricher.3": "host-a-enricher-3",
        "api": None,
    }
    ports = [procs.env_of(name)["NEWSFLOW_HTTP_PORT"] for name in ("enricher.2", "enricher.3")]
    assert ports == ["9203", "9303"]
    # The first replica keeps the stage's own port (its default, 9103).
    assert procs.env_of("enricher")["NEWSFLOW_HTTP_PORT"] == ""


def test_a_given_metrics_port_is_kept_for_every_replica() -> None:
    """NEWSFLOW_HTTP_PORT=0 (no endpoint) or a fixed port stays as given."""
    procs = StageProcesses(["enricher"], replicas={"enricher": 2}, env={"NEWSFLOW_HTTP_PORT": "0"})
    assert procs.env_of("enricher.2")["NEWSFLOW_HTTP_PORT"] == "0"


def test_replica_ports_of_different_stages_never_meet() -> None:
    ports = [replica_metrics_port(stage, k) for stage in PIPELINE for k in range(1, 10)]
    assert len(ports) == len(set(ports))


def test_names() -> None:
    assert process_name("enricher", 1) == "enricher"
    assert process_name("enricher", 2) == "enricher.2"
    assert consumer_name("h-1", "sink", 2) == "h-1-sink-2"
