"""One webhook POST through the SSRF-guarded client, and what came of it.

The client follows no redirect (a 3xx is a permanent failure: a redirect is how a public
URL would bounce a request to an internal one) and reads no proxy from the environment.
Only the start of a response's body is read, for the failure's message. The timeout bounds
the whole POST: httpx's own timeouts are per read, so a receiver that trickles its answer a
byte at a time would hold a worker (and outlive the delivery's sending lock) for hours.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

import httpx

from services.webhooks.retry_policy import Verdict, verdict_of_status
from shared.ssrf import AllowList, BlockedAddress, GuardedTransport, HostNotFound

_BODY_SHOWN_BYTES: Final = 300
_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


@dataclass(frozen=True)
class PostResult:
    verdict: Verdict
    reason: str  # the dead letter's reason when it is final: webhook_failed, webhook_blocked
    message: str  # status and a little of the body, or the error; never the URL (it may
    # hold a token) nor the secret
    retry_after: str | None = None
    status: int | None = None


def make_webhook_client(allow: AllowList, timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedTransport(allow, limits=_POOL_LIMITS),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout_s),
        headers={"User-Agent": "newsflow-webhooks/0.1"},
    )


async def post_webhook(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], timeout_s: float
) -> PostResult:
    try:
        async with (
            asyncio.timeout(timeout_s),
            client.stream(
                "POST", url, content=body, headers=headers, timeout=timeout_s
            ) as response,
        ):
            shown = await _start_of_body(response)
    except TimeoutError:
        return PostResult(
            Verdict.RETRY, "webhook_failed", f"timeout: no answer within {timeout_s:g} s"
        )
    except BlockedAddress as exc:
        return PostResult(Verdict.PERMANENT, "webhook_blocked", f"refused by the SSRF guard: {exc}")
    except HostNotFound as exc:
        return PostResult(Verdict.RETRY, "webhook_failed", f"host not found: {exc}")
    except httpx.TimeoutException as exc:
        return PostResult(Verdict.RETRY, "webhook_failed", f"timeout: {type(exc).__name__}")
    except httpx.TransportError as exc:
        return PostResult(
            Verdict.RETRY, "webhook_failed", f"connection error: {type(exc).__name__}: {exc}"
        )
    status = response.status_code
    message = f"{status} {response.reason_phrase}".strip()
    if shown:
        message += f": {shown}"
    return PostResult(
        verdict_of_status(status),
        "webhook_failed",
        message,
        retry_after=response.headers.get("Retry-After"),
        status=status,
    )


async def _start_of_body(response: httpx.Response) -> str:
    kept = b""
    async for piece in response.aiter_raw():
        kept += piece
        if len(kept) >= _BODY_SHOWN_BYTES:
            break
    return kept[:_BODY_SHOWN_BYTES].decode("utf-8", "replace").strip()
