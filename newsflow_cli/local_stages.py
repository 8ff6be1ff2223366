"""`newsflow parse` / `newsflow enrich`: the stages' functions on local files, in process
(no Redis), one JSON line per input in order."""

from __future__ import annotations

from collections.abc import Callable

from newsflow_cli.console import write_json_line
from newsflow_cli.inputs import Input, expand_paths, to_input
from newsflow_cli.running import load_settings
from shared.errors import Rejected
from shared.events import ArticleEvent


def run_locally(paths: list[str], *, enrich: bool) -> int:
    """Returns how many inputs failed (each reported on its own line)."""
    from services.fetcher.intake import event_from_content
    from services.parser.parse import parse_event

    settings = load_settings(find_embedded=False)  # no Redis here
    enrich_event: Callable[[ArticleEvent], ArticleEvent] | None = None
    if enrich:
        # Imported only when asked for: loading the enricher's models takes seconds.
        from services.enricher.enrich import enrich_event

    failures = 0
    for arg in expand_paths(paths):
        try:
            item: Input = to_input(arg, max_bytes=settings.max_content_bytes)
            event: ArticleEvent = event_from_content(
                item.submission, max_bytes=settings.max_content_bytes
            )
            event = parse_event(event, max_bytes=settings.max_content_bytes)
            if enrich_event is not None:
                event = enrich_event(event)
        except Rejected as exc:
            failures += 1
            write_json_line({"path": arg, "error": {"reason": exc.reason, "message": exc.message}})
        except (OSError, ValueError) as exc:
            failures += 1
            reason = "unreadable" if isinstance(exc, OSError) else "invalid_input"
            write_json_line({"path": arg, "error": {"reason": reason, "message": str(exc)}})
        else:
            write_json_line({"path": arg, **event.model_dump(mode="json", exclude_none=True)})
    return failures
