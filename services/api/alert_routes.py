"""`/api/alerts`: saved searches (docs/alerts.md), listed with their figures, added and
removed by callers holding the api's token.

Reads are open like the rest of the read side, so they never show a webhook's secret (its
fingerprint only) nor its URL's path: webhook URLs often carry a credential of their own
(`https://hooks.slack.com/services/T0/B0/<key>`). The secret is answered once, to the
caller that created the alert, when newsflow generated it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from services.api.access_log import add_to_access_line
from services.api.bearer_token import Refusal, check_bearer
from services.api.body_text import unstorable_text
from services.api.resources import ApiResources, resources_of
from shared.alerts.catalog import AlertExists, NoSuchAlert, add_alert, get_alert, remove_alert
from shared.alerts.definition import (
    DEFAULT_RATE_PER_MINUTE,
    NAME_PATTERN,
    AlertDefinition,
    AlertError,
    AlertQuery,
    new_secret,
)
from shared.alerts.figures import FIGURES
from shared.alerts.webhook_guard import webhook_allow_list
from shared.alerts.wire import AlertKeys, AlertMatch
from shared.errors import Rejected
from shared.store.article_query import MAX_FILTER_VALUES, MAX_QUERY_CHARS

router = APIRouter(tags=["alerts"])

_NAME = re.compile(NAME_PATTERN)

Resources = Annotated[ApiResources, Depends(resources_of)]
MATCHES_DEFAULT: Final = 20
MATCHES_MAX: Final = 200
_WRITE = "changing alerts"
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token, or not the api's."},
    403: {"description": "Writing over HTTP is off: NEWSFLOW_API_TOKEN is unset."},
}
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "No alert has this name."}}


def alert_writer(
    resources: Resources, authorization: Annotated[str | None, Header()] = None
) -> ApiResources:
    """The token again, as a dependency (it puts the header in the OpenAPI document): a
    caller without it was answered 401/403 by the write guard (`write_guard.py`) before
    its body was read, whatever it sent."""
    try:
        check_bearer(resources.settings.api_token, authorization, _WRITE)
    except Refusal as refusal:
        headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
        raise HTTPException(refusal.status, refusal.message, headers) from None
    return resources


Writer = Annotated[ApiResources, Depends(alert_writer)]


# ---- what a caller sends ------------------------------------------------------------------

Values = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=MAX_FILTER_VALUES)]


class NewAlertQuery(BaseModel):
    """The read side's filters, named as an alert stores them (`sources` for `source`...)."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY_CHARS,
        description='Web-search syntax: words (all must match), "a phrase", a OR b, -word.',
    )
    sources: Values = Field(default=[], description="Source names; any of them.")
    languages: Values = Field(default=[], description="Language codes (ISO 639-1).")
    countries: Values = Field(default=[], description="Countries mentioned (ISO alpha-2).")
    entities: Values = Field(default=[], description="Named entities' texts.")
    topics: Values = Field(default=[], description="IPTC topic codes or labels.")
    places: Values = Field(default=[], description="Place names.")
    tone_min: float | None = Field(default=None, ge=-100, le=100, description="Tone at least.")
    tone_max: float | None = Field(default=None, ge=-100, le=100, description="Tone at most.")


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="http(s) URL each match is POSTed to.")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="HMAC-SHA256 key of the signature header; generated when omitted (and "
        "then answered once, in the reply to this request).",
    )


class NewAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        max_length=64, description=f"Slug ({NAME_PATTERN}): in the stream's key and URLs."
    )
    query: NewAlertQuery = Field(default_factory=NewAlertQuery)
    webhook: NewWebhook | None = Field(
        default=None, description="Where matches are POSTed; none: the alert's stream only."
    )
    rate_per_minute: int = Field(
        default=DEFAULT_RATE_PER_MINUTE,
        ge=1,
        le=100_000,
        description="Webhook POSTs per minute at most; past it, matches go out as a digest.",
    )
    once_per_story: bool = Field(
        default=False,
        description="One match per story: the first of a story's articles that the query "
        "matches; later articles of that story are passed over.",
    )


# ---- what a caller gets -------------------------------------------------------------------


class WebhookView(BaseModel):
    origin: str = Field(
        description="scheme://host[:port] of the webhook; the path is not shown (webhook "
        "URLs often hold a credential)."
    )
    secret_fingerprint: str = Field(description="sha256:<16 hex> of the secret, to compare.")


class AlertFiguresView(BaseModel):
    matched: int = Field(description="Articles recorded for the alert, each once.")
    delivered: int = Field(description="Webhook POSTs the receiver accepted.")
    failed: int = Field(description="Webhook deliveries given up on (dead-lettered).")


class AlertView(BaseModel):
    name: str
    query: AlertQuery
    webhook: WebhookView | None
    rate_per_minute: int
    once_per_story: bool = Field(description="One match per story, not per article.")
    created_at: datetime
    stream: str = Field(description="The Redis stream of its matches (XREAD it).")
    stream_length: int
    figures: AlertFiguresView


class CreatedAlert(AlertView):
    secret: str | None = Field(
        description="The webhook's generated secret, shown this once; null when the caller "
        "gave one or the alert has no webhook."
    )


class AlertList(BaseModel):
    items: list[AlertView]


class AlertMatches(BaseModel):
    alert: str
    items: list[AlertMatch] = Field(description="The alert's stream, the newest first.")


async def views_of(redis: Redis, keys: AlertKeys, alerts: list[AlertDefinition]) -> list[AlertView]:
    """Each alert with its figures and its stream's length, in one round trip to Redis."""
    async with redis.pipeline(transaction=False) as pipe:
        for alert in alerts:
            pipe.hgetall(keys.figures(alert.name))
            pipe.xlen(keys.stream(alert.name))
        found: list[Any] = await pipe.execute()
    views = []
    for index, alert in enumerate(alerts):
        figures, length = found[2 * index], found[2 * index + 1]
        views.append(
            AlertView(
                name=alert.name,
                query=alert.query,
                webhook=None
                if alert.webhook is None
                else WebhookView(**alert.webhook.public_view()),
                rate_per_minute=alert.rate_per_minute,
                once_per_story=alert.once_per_story,
                created_at=alert.created_at,
                stream=keys.stream(alert.name),
                stream_length=int(length),
                figures=AlertFiguresView(**_counts(figures)),
            )
        )
    return views


def _counts(found: dict[Any, Any]) -> dict[str, int]:
    def number(field: str) -> int:
        value = found.get(field.encode(), found.get(field))
        return int(value) if value is not None else 0

    return {field: number(field) for field in FIGURES}


def refuse_unstorable(value: object) -> None:
    """No NUL (PostgreSQL refuses it, and no stored text holds one) and no lone surrogate."""
    if fault := unstorable_text(value):
        raise AlertError(fault)


async def alert_named(resources: ApiResources, name: str) -> AlertDefinition:
    """The alert, or a 404; a name no alert can have is not looked up."""
    try:
        if not _is_name(name):
            raise NoSuchAlert("no alert has this name")
        return await get_alert(resources.store, name)
    except NoSuchAlert as missing:
        raise HTTPException(404, missing.message) from None


def _is_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def _keys(resources: ApiResources) -> AlertKeys:
    return AlertKeys(resources.settings.stream_prefix)


# ---- the routes ---------------------------------------------------------------------------


@router.get("/api/alerts", response_model=AlertList, summary="Every alert, with its figures.")
async def list_alerts(resources: Resources) -> AlertList:
    alerts = await resources.store.list_alerts()
    return AlertList(items=await views_of(resources.redis, _keys(resources), alerts))


@router.get(
    "/api/alerts/{name}",
    response_model=AlertView,
    summary="One alert: its query, webhook (no secret), stream and figures.",
    responses=_UNKNOWN,
)
async def show_alert(name: Annotated[str, Path(max_length=200)], resources: Resources) -> AlertView:
    alert = await alert_named(resources, name)
    [view] = await views_of(resources.redis, _keys(resources), [alert])
    return view


@router.get(
    "/api/alerts/{name}/matches",
    response_model=AlertMatches,
    summary="The alert's latest matches, from its stream, the newest first.",
    responses=_UNKNOWN,
)
async def alert_matches(
    name: Annotated[str, Path(max_length=200)],
    resources: Resources,
    limit: Annotated[int, Query(ge=1, le=MATCHES_MAX, description="How many.")] = MATCHES_DEFAULT,
) -> AlertMatches:
    alert = await alert_named(resources, name)
    entries: Any = await resources.redis.xrevrange(_keys(resources).stream(alert.name), count=limit)
    items = []
    for _entry_id, fields in entries:
        try:
            items.append(AlertMatch.from_entry(fields))
        except (ValueError, Rejected):
            continue  # not the stage's entry (someone else XADDed): not a match to show
    return AlertMatches(alert=alert.name, items=items)


@router.post(
    "/api/alerts",
    status_code=201,
    response_model=CreatedAlert,
    summary="Save a search as an alert (needs `Authorization: Bearer <NEWSFLOW_API_TOKEN>`).",
    description="The query is checked as `/api/articles` checks it, and refused with the same "
    "message; the webhook must pass the SSRF guard (public addresses only, unless "
    "NEWSFLOW_WEBHOOK_ALLOW_NETWORKS allows). A generated webhook secret is in this answer "
    "only.",
    responses={
        **_AUTH_ERRORS,
        400: {
            "description": "A malformed alert: name, query, webhook (or one the SSRF guard "
            "refuses) or rate."
        },
        409: {"description": "An alert of this name exists."},
        413: {"description": "The body is over 1 MiB (refused unread)."},
    },
)
async def create_alert(new: NewAlert, resources: Writer, request: Request) -> JSONResponse:
    refuse_unstorable(new.model_dump())
    generated = new.webhook is not None and new.webhook.secret is None
    fields = new.model_dump()
    if new.webhook is not None:
        fields["webhook"]["secret"] = new.webhook.secret or new_secret()
    alert = AlertDefinition.checked(**fields)  # AlertError/QueryError: a 400
    try:
        # The SSRF guard's check of the webhook (AlertError, a 400) comes first in add_alert.
        await add_alert(
            resources.store,
            resources.redis,
            _keys(resources),
            alert,
            webhook_allow=webhook_allow_list(resources.settings.webhook_allow_networks),
        )
    except AlertExists as taken:
        raise HTTPException(409, taken.message) from None
    add_to_access_line(request, alert=alert.name)
    [view] = await views_of(resources.redis, _keys(resources), [alert])
    secret = alert.webhook.secret.get_secret_value() if generated and alert.webhook else None
    created = CreatedAlert(**view.model_dump(), secret=secret)
    return JSONResponse(
        created.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/alerts/{alert.name}", "Cache-Control": "no-store"},
    )


@router.delete(
    "/api/alerts/{name}",
    status_code=204,
    summary="Remove an alert (needs the bearer token); its stream stays for its readers.",
    responses={**_AUTH_ERRORS, **_UNKNOWN},
)
async def delete_alert(name: Annotated[str, Path(max_length=200)], resources: Writer) -> Response:
    alert = await alert_named(resources, name)
    try:
        await remove_alert(resources.store, resources.redis, _keys(resources), alert.name)
    except NoSuchAlert as missing:  # removed meanwhile by another caller
        raise HTTPException(404, missing.message) from None
    return Response(status_code=204)
