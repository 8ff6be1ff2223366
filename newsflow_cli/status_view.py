"""The human view of `newsflow status`: one screen, at most 100 columns."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from shared.pipeline_status import PipelineStatus

WIDTH = 100


def _consumers(idles: list[float]) -> str:
    if not idles:
        return "none"
    shown = ", ".join(f"{i:.0f}s" if i >= 1 else "<1s" for i in sorted(idles)[:3])
    more = f" +{len(idles) - 3}" if len(idles) > 3 else ""
    return f"{len(idles)} ({shown}{more})"


def render_status(status: PipelineStatus, prefix: str) -> RenderableType:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    table = Table(
        title=f"newsflow  [dim]{prefix}:*  {now}[/dim]", title_justify="left", padding=(0, 1)
    )
    table.add_column("stage", no_wrap=True)
    table.add_column("input stream", no_wrap=True, overflow="ellipsis", max_width=24)
    for column in ("length", "lag", "pending", "done 1m", "/s"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("consumers (idle)", no_wrap=True, overflow="ellipsis", max_width=22)
    for s in status.stages:
        lag = "-" if s.lag is None else str(s.lag)
        lag_style = "yellow" if (s.lag or 0) + s.pending > 0 else ""
        table.add_row(
            s.stage, s.stream, str(s.length), Text(lag, style=lag_style), str(s.pending),
            str(s.per_minute), f"{s.per_second:.1f}",
            _consumers([c.idle_s for c in s.consumers]) if s.group_exists else "no group",
        )  # fmt: skip
    lines: list[RenderableType] = [table, Text(f"enriched stream: {status.enriched_length}   "
                         f"dead letters: {status.dlq_length}")]  # fmt: skip
    for reason, count in list(status.dlq_by_reason.items())[:8]:
        lines.append(Text(f"  {count:6d}  {reason}", style="red"))
    if status.alerts:
        lines.append(_alerts(status))
    return Group(*lines)


# Past this many, the rest are counted: `newsflow alerts list` shows them all.
_ALERTS_SHOWN = 10


def _alerts(status: PipelineStatus) -> RenderableType:
    table = Table(title="alerts", title_justify="left", padding=(0, 1))
    table.add_column("alert", no_wrap=True, overflow="ellipsis", max_width=40)
    for column in ("matched", "delivered", "failed"):
        table.add_column(column, justify="right", no_wrap=True)
    for a in status.alerts[:_ALERTS_SHOWN]:
        failed = Text(str(a.failed), style="red" if a.failed else "")
        table.add_row(a.alert, str(a.matched), str(a.delivered), failed)
    if len(status.alerts) > _ALERTS_SHOWN:
        table.caption = f"and {len(status.alerts) - _ALERTS_SHOWN} more: newsflow alerts list"
    return table
