"""The SSRF check of a webhook target when an alert is added (the delivery worker checks
every connection again as it opens it: DNS may have changed since)."""

from __future__ import annotations

from typing import Final

from shared.alerts.definition import AlertDefinition, AlertError
from shared.settings import get_settings
from shared.ssrf import AllowList, parse_allow_list, refusal_of_url

WEBHOOK_ALLOW_SETTING: Final = "NEWSFLOW_WEBHOOK_ALLOW_NETWORKS"


def webhook_allow_list(spec: str | None = None) -> AllowList:
    """NEWSFLOW_WEBHOOK_ALLOW_NETWORKS (or `spec`), parsed."""
    text = get_settings().webhook_allow_networks if spec is None else spec
    return parse_allow_list(text, WEBHOOK_ALLOW_SETTING)


async def check_webhook_target(alert: AlertDefinition, allow: AllowList | None = None) -> None:
    """AlertError (a 400) when the alert's webhook points at an address the guard refuses:
    loopback, private, link-local, reserved (unless allowed), or a name that does not
    resolve."""
    if alert.webhook is None:
        return
    refusal = await refusal_of_url(alert.webhook.url, allow or webhook_allow_list())
    if refusal is not None:
        raise AlertError(f"webhook refused: {refusal}")
