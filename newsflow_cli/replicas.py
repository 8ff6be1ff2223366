"""How many processes of each stage `newsflow up` runs, and what sets the replicas of one
stage apart: a consumer name each (one group, shared) and a metrics port each.

By default each stage gets enough replicas to keep up with what the whole machine can do:
with `cores` cores and `total` CPU ms per article over all stages, the machine finishes at
most `cores * 1000 / total` articles/s, and a stage of `cpu_ms` keeps up with that with
`ceil(cores * cpu_ms / total)` processes. Fewer would leave that stage the bottleneck while
a core idles (one enricher on 2 cores); more only add memory (a spaCy model each). The
light stages stay at 1: one process of them idles most of the time already.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Mapping, Sequence

from shared.pipeline import PipelineStage, stage_named

# Replica k > 1 of a stage serves /metrics on the stage's port + (k - 1) * this, when
# NEWSFLOW_HTTP_PORT is unset: enricher 9103, 9203, 9303 ...; wide enough that the stages'
# own ports (9101, 9102, ...) never meet another stage's replicas.
REPLICA_PORT_STEP = 100


def default_replicas(stages: Sequence[PipelineStage], cores: int | None = None) -> dict[str, int]:
    cores = max(cores if cores is not None else (os.cpu_count() or 1), 1)
    total = sum(stage.cpu_ms for stage in stages) or 1.0
    return {stage.name: max(1, math.ceil(cores * stage.cpu_ms / total - 1e-9)) for stage in stages}


def parse_scale(values: Sequence[str], chosen: Sequence[str]) -> dict[str, int]:
    """`["enricher=2", "parser=1"]` -> `{"enricher": 2, "parser": 1}`; a ValueError that
    says what is wrong for anything else."""
    scale: dict[str, int] = {}
    for value in values:
        name, sep, count = value.partition("=")
        name = name.strip()
        if not sep or not count.strip().isdigit():
            raise ValueError(f"--scale {value!r}: expected STAGE=N, e.g. enricher=2")
        stage_named(name)  # raises, naming the stages, when there is none such
        if name not in chosen:
            raise ValueError(f"--scale {value!r}: {name} is not among the stages to run")
        if int(count) < 1:
            raise ValueError(f"--scale {value!r}: a stage runs at least 1 process")
        scale[name] = int(count)
    return scale


def replicas_to_run(
    chosen: Sequence[str], scale: Mapping[str, int], cores: int | None = None
) -> dict[str, int]:
    """`--scale` where given, else the default for this machine, for each chosen stage."""
    defaults = default_replicas([stage_named(name) for name in chosen], cores)
    return {name: scale.get(name, defaults[name]) for name in chosen}


def process_name(stage: str, replica: int) -> str:
    """The supervisor's name for a process: `enricher`, then `enricher.2`, `enricher.3`."""
    return stage if replica == 1 else f"{stage}.{replica}"


def consumer_name(prefix: str, stage: str, replica: int) -> str:
    """Stable across restarts of the replica, so a restarted one finds (and retries) the
    entries its predecessor left pending at once, rather than after `claim_idle_ms`."""
    return f"{prefix}-{stage}-{replica}"


def default_consumer_prefix() -> str:
    """Unique per supervisor: two `newsflow up` on one host (or on hosts with one name)
    never share a consumer name, which would make each take the other's entries in hand
    for its own orphans."""
    return f"{socket.gethostname()}-{os.getpid()}"


def replica_metrics_port(stage: PipelineStage, replica: int) -> int:
    return stage.metrics_port + (replica - 1) * REPLICA_PORT_STEP
