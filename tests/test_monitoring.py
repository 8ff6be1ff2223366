"""The monitoring profile's files (deploy/monitoring/), checked without a Docker engine:
the Grafana dashboard is valid and reads the provisioned datasource, Grafana's provisioning
points at the mounted dashboard folder, and Prometheus scrapes the four stages on the port
compose gives them.

Whether every metric a panel queries is in the services' output is shown against running
stages in tests/e2e/test_operations.py, with `metric_names` from here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml

from shared.scrape_config import COMPOSE_METRICS_PORT, render_scrape_config
from tests.compose_file import REPO, SERVICES, STAGE_SERVICES, environment_of, interpolate

MONITORING = REPO / "deploy" / "monitoring"
DASHBOARD_FILE = MONITORING / "grafana" / "dashboards" / "newsflow.json"
PROVISIONING = MONITORING / "grafana" / "provisioning"
PROMETHEUS_FILE = MONITORING / "prometheus.yml"

DASHBOARD: dict[str, Any] = json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))

# PromQL words that are neither metrics nor functions.
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan",
}  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def metric_names(expr: str) -> set[str]:
    """The metric (sample) names a PromQL expression selects: identifiers that are not
    functions, keywords, label names, label values or durations."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)  # label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges: [5m], [$__rate_interval]
    text = _GROUPING.sub(" ", text)  # by (stage, le)
    text = re.sub(r"\$\w+", " ", text)  # dashboard variables
    names = set()
    for match in _IDENTIFIER.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("("):
            continue  # a function: rate(, sum(, histogram_quantile(
        if match.start() > 0 and (
            text[match.start() - 1].isdigit() or text[match.start() - 1] == "."
        ):
            continue  # the exponent or suffix of a number
        if match.group(0).lower() in _KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def grouping_labels(expr: str) -> set[str]:
    return {
        label.strip()
        for group in _GROUPING.findall(expr)
        for label in group.split(",")
        if label.strip()
    }


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def query_panels() -> list[dict[str, Any]]:
    return [panel for panel in panels(DASHBOARD) if panel["type"] != "row"]


def dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in query_panels() for target in panel["targets"]]


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


def mounts(service: dict[str, Any]) -> dict[Path, PurePosixPath]:
    """Bind mounts of a compose service: host path (resolved) -> container path."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = str(volume).split(":")
        if source.startswith((".", "/")):
            found[(REPO / source).resolve()] = PurePosixPath(target)
    return found


def provisioned_datasource() -> dict[str, Any]:
    files = sorted((PROVISIONING / "datasources").glob("*.y*ml"))
    assert len(files) == 1, files
    (datasource,) = load_yaml(files[0])["datasources"]
    assert isinstance(datasource, dict)
    return datasource


# --- the extraction of metric names itself ---------------------------------------------


def test_metric_names_keep_metrics_and_drop_functions_labels_and_ranges() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (stage, le) (rate(a_seconds_bucket{stage="x",'
        'outcome!~"b|c"}[$__rate_interval]))) / on (stage) group_left b_total offset 5m'
        " + max(up) * 1e3 + c_total[5m:1m]"
    )
    assert metric_names(expr) == {"a_seconds_bucket", "b_total", "up", "c_total"}
    assert grouping_labels(expr) == {"stage", "le"}


# --- the dashboard ---------------------------------------------------------------------


def test_dashboard_is_a_grafana_dashboard() -> None:
    assert isinstance(DASHBOARD["schemaVersion"], int) and DASHBOARD["schemaVersion"] >= 36
    assert DASHBOARD["uid"] and DASHBOARD["title"]
    ids = [panel["id"] for panel in panels(DASHBOARD)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in panels(DASHBOARD):
        grid = panel["gridPos"]
        assert {"h", "w", "x", "y"} <= set(grid), panel["title"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
    assert len(query_panels()) >= 10


def test_no_two_panels_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in panels(DASHBOARD):
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_every_panel_queries_the_provisioned_datasource() -> None:
    datasource = provisioned_datasource()
    for panel in query_panels():
        assert panel["targets"], f"{panel['title']} has no query"
        for owner in (panel, *panel["targets"]):
            assert owner["datasource"] == {"type": datasource["type"], "uid": datasource["uid"]}
        for target in panel["targets"]:
            assert metric_names(target["expr"]), f"{panel['title']}: no metric in {target}"
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_dashboard_covers_what_the_issue_asks_for() -> None:
    used = set().union(*(metric_names(expr) for expr in dashboard_exprs()))
    assert {
        "newsflow_messages_total",
        "newsflow_processing_seconds_bucket",
        "newsflow_end_to_end_seconds_bucket",
        "newsflow_stream_length",
        "newsflow_group_lag",
        "newsflow_group_pending",
        "newsflow_dlq_length",
        "newsflow_fetch_responses_total",
        "newsflow_model_load_seconds",
        "faststream_received_messages_total",
    } <= used
    exprs = " ".join(dashboard_exprs())
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(newsflow_end_to_end" in exprs
    for quantile in ("0.5", "0.95"):
        assert f"histogram_quantile({quantile}, sum by (stage, le) (rate(newsflow_processing" in (
            exprs
        )


# --- Grafana provisioning --------------------------------------------------------------


def test_grafana_datasource_is_the_prometheus_service() -> None:
    datasource = provisioned_datasource()
    assert datasource["type"] == "prometheus"
    assert datasource.get("isDefault") is True
    url = urlsplit(datasource["url"])
    assert url.hostname == "prometheus" and url.hostname in SERVICES
    prometheus_ports = {
        str(port).rsplit(":", 1)[-1] for port in SERVICES["prometheus"].get("ports", [])
    }
    assert str(url.port) in prometheus_ports, (url.port, prometheus_ports)


def test_grafana_loads_the_dashboard_folder_compose_mounts() -> None:
    grafana = SERVICES["grafana"]
    mounted = mounts(grafana)
    assert mounted.get(PROVISIONING.resolve()) == PurePosixPath("/etc/grafana/provisioning")
    dashboards_in_container = mounted[DASHBOARD_FILE.parent.resolve()]
    files = sorted((PROVISIONING / "dashboards").glob("*.y*ml"))
    assert len(files) == 1, files
    (provider,) = load_yaml(files[0])["providers"]
    assert provider["type"] == "file"
    assert PurePosixPath(provider["options"]["path"]) == dashboards_in_container
    home = environment_of(grafana).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    assert home == str(dashboards_in_container / DASHBOARD_FILE.name)


# --- Prometheus ------------------------------------------------------------------------


def test_prometheus_scrapes_every_stage_on_its_http_port() -> None:
    prometheus = SERVICES["prometheus"]
    mounted = mounts(prometheus)
    config_path = mounted[PROMETHEUS_FILE.resolve()]
    assert f"--config.file={config_path}" in prometheus["command"]

    (job,) = load_yaml(PROMETHEUS_FILE)["scrape_configs"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets: set[tuple[str, int]] = set()
    for static in job.get("static_configs", []):
        for target in static["targets"]:
            host, port = target.rsplit(":", 1)
            targets.add((host, int(port)))
    for lookup in job.get("dns_sd_configs", []):
        assert lookup.get("type", "SRV") == "A", "compose's DNS answers A records, not SRV"
        targets |= {(name, int(lookup["port"])) for name in lookup["names"]}
    expected = {
        (name, int(environment_of(service)["NEWSFLOW_HTTP_PORT"]))
        for name, service in STAGE_SERVICES.items()
    }
    assert targets == expected


def test_the_scrape_config_is_the_one_generated_from_the_pipeline() -> None:
    assert PROMETHEUS_FILE.read_bytes() == render_scrape_config(), (
        "deploy/monitoring/prometheus.yml is stale: run `newsflow docs`"
    )


def test_a_stage_added_to_the_pipeline_is_scraped_on_the_compose_port() -> None:
    config = yaml.safe_load(render_scrape_config(["fetcher", "summarizer"]))
    (job,) = config["scrape_configs"]
    (lookup,) = job["dns_sd_configs"]
    assert lookup["names"] == ["fetcher", "summarizer"]
    assert lookup["port"] == COMPOSE_METRICS_PORT


def test_panels_on_prometheus_own_series_use_labels_prometheus_sets() -> None:
    # `up` is made by Prometheus per target: its labels are job, instance and what the
    # relabelling adds.
    (job,) = load_yaml(PROMETHEUS_FILE)["scrape_configs"]
    labels = {"job", "instance"} | {r["target_label"] for r in job.get("relabel_configs", [])}
    exprs = [expr for expr in dashboard_exprs() if "up" in metric_names(expr)]
    assert exprs, "no panel shows whether the stages are up"
    for expr in exprs:
        assert f'job="{job["job_name"]}"' in expr, expr
        assert grouping_labels(expr) <= labels, expr


# --- the monitoring profile ------------------------------------------------------------


def test_monitoring_services_are_a_profile_published_on_localhost_only() -> None:
    monitoring = {
        name for name, service in SERVICES.items() if "monitoring" in service.get("profiles", [])
    }
    assert monitoring == {"prometheus", "grafana"}
    for name in monitoring:
        service = SERVICES[name]
        image = str(service["image"])
        assert re.fullmatch(r"(prom/prometheus|grafana/grafana):v?\d+\.\d+\.\d+", image), image
        assert service["ports"], name
        for port in service["ports"]:
            assert interpolate(str(port)).startswith("127.0.0.1:"), f"{name}: {port}"
        for source in mounts(service):
            assert source.exists(), f"{name} mounts {source}, which is missing"
