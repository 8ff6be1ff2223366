"""`POST /api/articles`: a raw article onto the raw stream, as `newsflow publish` would, for
callers holding the api's token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.api.access_log import add_to_access_line
from services.api.bearer_token import Refusal, check_bearer
from services.api.body_text import unstorable_text
from services.api.problems import problem
from services.api.resources import ApiResources, resources_of
from shared.errors import Backlogged, Rejected
from shared.events import RawSubmission, new_trace_id
from shared.submission_ids import article_id_of

router = APIRouter(tags=["publish"])

# How long a publish waits for room on the raw stream (its backlog at NEWSFLOW_MAX_BACKLOG)
# before a 503. The CLI waits as long as it takes; an HTTP caller is answered instead, and
# told when to try again, rather than held until its own timeout (or forever).
PUBLISH_WAIT_S = 5.0


class Accepted(BaseModel):
    id: str = Field(
        description="The article's id: from its URL, else its content (a fetched page that "
        "redirects is named by its final URL instead)."
    )
    trace_id: str = Field(description="Follows the article end to end (`newsflow trace`).")
    entry_id: str = Field(description="Its entry on the raw stream.")


def publisher_allowed(
    resources: Annotated[ApiResources, Depends(resources_of)],
    authorization: Annotated[str | None, Header()] = None,
) -> ApiResources:
    """The token again, as a dependency (it puts the header in the OpenAPI document): a
    caller without it was answered 401/403 by the write guard (`write_guard.py`) before
    its body was read, whatever it sent."""
    try:
        check_bearer(resources.settings.api_token, authorization)
    except Refusal as refusal:
        headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
        raise HTTPException(refusal.status, refusal.message, headers) from None
    return resources


@router.post(
    "/api/articles",
    status_code=202,
    response_model=Accepted,
    summary="Publish a raw article (needs `Authorization: Bearer <NEWSFLOW_API_TOKEN>`).",
    responses={
        400: {
            "description": "Not a raw article (needs `url` or `content`), or text that is "
            "not valid Unicode (a lone surrogate)."
        },
        401: {"description": "No bearer token, or not the api's."},
        403: {"description": "Publishing over HTTP is off: NEWSFLOW_API_TOKEN is unset."},
        413: {
            "description": "The content is over NEWSFLOW_MAX_CONTENT_BYTES, or the body over "
            "twice that plus 64 KiB (refused unread)."
        },
        503: {
            "description": "The raw stream's backlog stayed at NEWSFLOW_MAX_BACKLOG for "
            f"{PUBLISH_WAIT_S:g} s (the fetcher is behind or stopped); see `Retry-After`."
        },
    },
)
async def publish_article(
    submission: RawSubmission,
    resources: Annotated[ApiResources, Depends(publisher_allowed)],
    request: Request,
) -> JSONResponse:
    # A NUL may pass: the parser and the sink drop it from every text (the id is made from
    # the URL or a hash of the content, so it never holds one).
    if fault := unstorable_text(submission.model_dump(), nul_allowed=True):
        return problem(400, fault)
    submission = submission.model_copy(
        update={"via": "api", "trace_id": submission.trace_id or new_trace_id()}
    )
    try:
        entry_id = await resources.publisher.publish(submission, wait_s=PUBLISH_WAIT_S)
    except Rejected as rejected:
        return problem(413, rejected.message)
    except Backlogged as backlogged:
        retry = str(round(PUBLISH_WAIT_S))
        return problem(503, f"{backlogged.message}: try again later", {"Retry-After": retry})
    assert submission.trace_id is not None
    add_to_access_line(request, article_id=article_id_of(submission), trace_id=submission.trace_id)
    accepted = Accepted(
        id=article_id_of(submission), trace_id=submission.trace_id, entry_id=entry_id
    )
    return JSONResponse(accepted.model_dump(), status_code=202)
