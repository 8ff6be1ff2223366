"""A small HTTP endpoint per service: `/metrics` (Prometheus), `/health/live` and
`/health/ready` (readiness runs the service's checks: Redis, its group, its own).

asyncio streams rather than a web framework: three fixed GET routes do not need one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.logs import get_logger

ReadinessCheck = Callable[[], Awaitable[bool]]

_CHECK_TIMEOUT_S = 3.0
log = get_logger("newsflow.health")


class HealthServer:
    def __init__(self, host: str, port: int, checks: Mapping[str, ReadinessCheck]) -> None:
        self.host = host
        self.port = port
        self.checks = dict(checks)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as exc:
            # Metrics are worth having, not worth refusing to process articles for.
            log.warning("health_server_unavailable", port=self.port, error=str(exc))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def readiness(self) -> dict[str, bool]:
        async def run(check: ReadinessCheck) -> bool:
            try:
                return bool(await asyncio.wait_for(check(), timeout=_CHECK_TIMEOUT_S))
            except Exception:
                return False

        results = await asyncio.gather(*(run(c) for c in self.checks.values()))
        return dict(zip(self.checks, results, strict=True))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            parts = request.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            status, content_type, body = await self._route(path)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _route(self, path: str) -> tuple[str, str, bytes]:
        if path == "/metrics":
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest()
        if path == "/health/live":
            return "200 OK", "application/json", b'{"status":"alive"}'
        if path == "/health/ready":
            results = await self.readiness()
            ready = all(results.values())
            body = orjson.dumps({"ready": ready, "checks": results})
            return ("200 OK" if ready else "503 Service Unavailable"), "application/json", body
        return "404 Not Found", "text/plain", b"not found"
