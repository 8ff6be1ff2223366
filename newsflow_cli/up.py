"""`newsflow up`: the stages and the api as local processes, restarted when they crash,
until Ctrl-C; with no Redis configured, on a private server started before them and
stopped after them."""

from __future__ import annotations

import contextlib
import signal
import time

from newsflow_cli.console import err
from newsflow_cli.queue_server import queue_server
from newsflow_cli.replicas import default_consumer_prefix, parse_scale, replicas_to_run
from newsflow_cli.running import (
    EXIT_CANNOT_RUN,
    fail,
    load_settings,
    redis_connection,
    run_async,
)
from newsflow_cli.serve import check_port_free
from newsflow_cli.supervisor import HTTP_SERVICE_NAMES, RestartBackoff, StageProcesses
from shared.pipeline import HTTP_SERVICES, PIPELINE
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import STAGES


def redis_ping(settings: Settings) -> None:
    """Fails the command, in one line, when Redis cannot be reached."""

    async def ping() -> None:
        async with redis_connection(settings) as client:
            await client.ping()

    run_async(ping)


def store_check(settings: Settings) -> None:
    """Fails the command, in one line, when the article store cannot be opened. The stages
    and the api that use it open it when they start: without this they would crash at once,
    each with a traceback, and be restarted every few seconds for as long as `up` runs."""

    async def open_and_close() -> None:
        async with opened_store(settings):
            pass

    try:
        run_async(open_and_close)
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise fail(f"cannot open the store: {exc}", EXIT_CANNOT_RUN) from None


# The processes of `up` that cannot start without the store.
STORE_OPENERS = frozenset(
    [s.name for s in PIPELINE if s.opens_store] + [s.name for s in HTTP_SERVICES if s.opens_store]
)


def run_stages(
    stages: list[str] | None, *, with_api: bool = True, scale: list[str] | None = None
) -> None:
    settings = load_settings(find_embedded=False)
    chosen = stages or list(STAGES)
    unknown = set(chosen) - set(STAGES)
    if unknown:
        raise fail(f"unknown stage(s): {', '.join(sorted(unknown))}", EXIT_CANNOT_RUN)
    try:
        replicas = replicas_to_run(chosen, parse_scale(scale or [], chosen))
    except ValueError as exc:
        raise fail(str(exc), EXIT_CANNOT_RUN) from None
    processes = sum(replicas.values())
    if settings.http_port and processes > 1:
        # One port for all: the first process takes it and the others serve no /health, so
        # a probe of it reads one stage's health as the whole pipeline's.
        raise fail(
            f"NEWSFLOW_HTTP_PORT={settings.http_port} is one port for {processes} processes: "
            "unset it (each stage its own, 9101-9106, +100 per replica) or set 0 (none)",
            EXIT_CANNOT_RUN,
        )
    with queue_server(settings) as settings_in_use:
        supervise_stages(chosen, settings_in_use, with_api=with_api, replicas=replicas)


def supervise_stages(
    chosen: list[str],
    settings: Settings,
    *,
    with_api: bool,
    replicas: dict[str, int] | None = None,
) -> None:
    redis_ping(settings)
    replicas = replicas or {}
    if with_api:
        # Before anything starts: a taken port would only show as an api restarting forever.
        check_port_free(settings)
        chosen = [*chosen, *HTTP_SERVICE_NAMES]
    if STORE_OPENERS.intersection(chosen):
        store_check(settings)
    store = "PostgreSQL" if settings.uses_postgres else f"SQLite at {settings.sqlite_path}"
    shown = [f"{name} x{replicas[name]}" if replicas.get(name, 1) > 1 else name for name in chosen]
    err.print(
        f"starting {', '.join(shown)} (streams {settings.stream_prefix}:*, store {store})",
        soft_wrap=True,
    )
    if with_api:
        err.print(f"api and web page on http://{settings.api_host}:{settings.api_port}/")
    env = {
        "REDIS_URL": settings.redis_url.get_secret_value(),
        # Local, like the api and the embedded server: /metrics names alerts and the hosts
        # fetched; 0.0.0.0 (the default) is for containers, where another host scrapes.
        "NEWSFLOW_HTTP_HOST": settings.http_host
        if "http_host" in settings.model_fields_set
        else "127.0.0.1",
    }
    if settings.http_port is not None:
        # Set in a .env file, which the stages (run elsewhere than here) may not read.
        env["NEWSFLOW_HTTP_PORT"] = str(settings.http_port)
    procs = StageProcesses(
        chosen,
        replicas=replicas,
        consumer_prefix=settings.consumer_prefix or default_consumer_prefix(),
        # The URL of the server in use (an embedded one is known only here).
        env=env,
        grace_s=settings.shutdown_grace_s + 5,
    )
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    # Installed for SIGINT too: a shell starting `newsflow up &` leaves SIGINT ignored, and
    # Python then raises no KeyboardInterrupt. SIGHUP is the terminal closing (the window,
    # an ssh session lost): stopped as on Ctrl-C, not killed with the embedded server left
    # running and the stages cut off mid-entry.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    procs.start()
    backoff = RestartBackoff()
    restart_at: dict[str, float] = {}  # process name -> when it is started again
    try:
        while not stopping:
            time.sleep(0.5)
            for stage, code in procs.exited().items():
                if stopping:
                    break
                now = time.monotonic()
                if stage not in restart_at:
                    delay = backoff.delay(stage, now - procs.started_at[stage])
                    restart_at[stage] = now + delay
                    when = f"restarting in {delay:.0f} s" if delay else "restarting"
                    err.print(f"[yellow]{stage} exited with {code}; {when}[/yellow]")
                if now >= restart_at[stage]:
                    del restart_at[stage]
                    procs.start_stage(stage)
    except KeyboardInterrupt:
        pass
    finally:
        # A terminal that closed answers every write with EIO: the stages are stopped anyway.
        with contextlib.suppress(OSError):
            err.print("stopping stages...")
        procs.stop()
        with contextlib.suppress(OSError):
            err.print("stopped")
