"""Adding and removing alerts: the store holds them, and Redis's version counter tells the
matching stage to reload them. The CLI and the API both go through here.
"""

from __future__ import annotations

from redis.asyncio import Redis

from shared.alerts.definition import AlertDefinition, AlertError
from shared.alerts.figures import start_figures
from shared.alerts.webhook_guard import check_webhook_target
from shared.alerts.wire import AlertKeys
from shared.errors import Unavailable
from shared.ssrf import AllowList
from shared.store.article_store import ArticleStore


class AlertExists(AlertError):
    """An alert of that name is already stored (a 409 for the API)."""


class NoSuchAlert(AlertError):
    """No alert of that name (a 404 for the API)."""


async def add_alert(
    store: ArticleStore,
    redis: Redis,
    keys: AlertKeys,
    alert: AlertDefinition,
    *,
    webhook_allow: AllowList | None = None,
) -> None:
    """`webhook_allow`: NEWSFLOW_WEBHOOK_ALLOW_NETWORKS parsed (None: from the settings)."""
    # The SSRF guard first: nothing is stored for a webhook that points inside.
    await check_webhook_target(alert, webhook_allow)
    if not await store.add_alert(alert):
        raise AlertExists(f"an alert named {alert.name!r} exists (remove it first)")
    await start_figures(redis, keys, alert.name)
    await redis.incr(keys.version)


async def remove_alert(store: ArticleStore, redis: Redis, keys: AlertKeys, name: str) -> None:
    """The alert and its figures; its stream stays for its readers (and is trimmed)."""
    if not await store.remove_alert(name):
        raise NoSuchAlert(f"no alert named {name!r}")
    await redis.delete(keys.figures(name))
    await redis.incr(keys.version)


async def get_alert(store: ArticleStore, name: str) -> AlertDefinition:
    found = await store.get_alert(name)
    if found is None:
        raise NoSuchAlert(f"no alert named {name!r}")
    return found


async def load_alerts(store: ArticleStore) -> list[AlertDefinition]:
    """Every stored alert, for a stage reloading them; a store that cannot answer is
    `Unavailable`, so the entry that asked waits out the outage instead of failing."""
    try:
        return await store.list_alerts()
    except Exception as exc:
        raise Unavailable(f"cannot load the alerts from the store: {exc}") from exc


async def alerts_version(redis: Redis, keys: AlertKeys) -> int:
    value = await redis.get(keys.version)
    return int(value) if value is not None else 0
