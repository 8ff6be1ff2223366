"""The Prometheus config of `docker compose --profile monitoring`
(deploy/monitoring/prometheus.yml), generated from the pipeline's table so that a new stage
is scraped without editing it: `newsflow docs` (or `python -m shared.scrape_config`) rewrites
it, and a test fails when the committed file drifts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shared.pipeline import STAGE_NAMES

CONFIG_PATH = Path(__file__).resolve().parent.parent / "deploy" / "monitoring" / "prometheus.yml"

# NEWSFLOW_HTTP_PORT of every stage in docker-compose.yml (a test checks they agree).
COMPOSE_METRICS_PORT = 9100

_TEMPLATE = """\
# Prometheus for `docker compose --profile monitoring up`: scrapes the stages' /metrics.
# Generated from shared/pipeline.py by `newsflow docs`: edit that, not this.
# A DNS lookup per stage rather than a fixed target, so that every replica of a scaled stage
# (`docker compose up --scale parser=3`) is scraped; the dashboard sums them per stage.
global:
  scrape_interval: 10s
  evaluation_interval: 10s

scrape_configs:
  - job_name: newsflow
    metrics_path: /metrics
    dns_sd_configs:
      - names: [{names}]
        type: A
        # NEWSFLOW_HTTP_PORT of the stages in docker-compose.yml
        port: {port}
        refresh_interval: 30s
    relabel_configs:
      # The compose service name (= the stage) as a label of its own.
      - source_labels: [__meta_dns_name]
        target_label: service
"""


def render_scrape_config(stage_names: Sequence[str] = STAGE_NAMES) -> bytes:
    """The compose services are named after the stages, so each stage's name is the DNS
    name of its replicas."""
    return _TEMPLATE.format(names=", ".join(stage_names), port=COMPOSE_METRICS_PORT).encode()


def main() -> None:
    CONFIG_PATH.write_bytes(render_scrape_config())


if __name__ == "__main__":
    main()
