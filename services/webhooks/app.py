"""Webhooks stage: alerts:deliveries -> each alert's webhook (signed JSON POSTs, retried,
rate-limited with digests, dead-lettered when they keep failing). The work is in
deliverer.py; stage.py opens what it needs."""

from __future__ import annotations

from services.webhooks.stage import open_webhooks
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app

settings = get_settings()
# Several POSTs at once: a receiver that is slow to answer holds one worker, not the queue.
app = build_stage_app(
    stage_named("webhooks"), settings, open_webhooks, max_workers=settings.webhook_concurrency
)
