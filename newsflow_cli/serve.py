"""`newsflow serve`: the api (services/api/) alone, served by uvicorn on NEWSFLOW_API_HOST and
NEWSFLOW_API_PORT until Ctrl-C or SIGTERM. `newsflow up` runs this same command beside the
stages."""

from __future__ import annotations

import socket

import uvicorn

from newsflow_cli.console import err
from newsflow_cli.running import EXIT_CANNOT_RUN, fail, load_settings
from shared.logs import configure_logging
from shared.pipeline import HTTP_SERVICES
from shared.settings import Settings

API_APP = next(service.app for service in HTTP_SERVICES if service.name == "api")


def check_port_free(settings: Settings) -> None:
    """Fails in one line when the address is taken: uvicorn would only log it after start."""
    family = socket.AF_INET6 if ":" in settings.api_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.api_host, settings.api_port))
        except OSError as exc:
            raise fail(
                f"cannot listen on {settings.api_host}:{settings.api_port} ({exc.strerror}): "
                "set NEWSFLOW_API_PORT (or NEWSFLOW_API_HOST)",
                EXIT_CANNOT_RUN,
            ) from None


def serve_api() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    check_port_free(settings)
    err.print(f"api on http://{settings.api_host}:{settings.api_port}/ (docs at /docs)")
    uvicorn.run(
        API_APP,
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's loggers go through the one configuration above
        # The app writes its own access lines (NEWSFLOW_API_ACCESS_LOG, services/api/
        # access_log.py): JSON, writes and refusals by default, no secret in a query.
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )
