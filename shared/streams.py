"""Stream and group names, and the wire format of every public stream.

Every entry is plain UTF-8 JSON that any Redis client can read and write:

* event streams (`fetched`, `parsed`, `enriched`) and the dead-letter stream carry one
  field, `data`, holding the JSON document;
* the raw stream also accepts flat fields (`url`, `content`, `content_type`, `source`,
  `trace_id`), as `redis-cli XADD <prefix>:raw '*' content "..." source UNN` writes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from pydantic import ValidationError
from redis.typing import EncodableT, FieldT

from shared.errors import Rejected
from shared.events import ArticleEvent, RawSubmission
from shared.pipeline import DEAD_LETTER_STREAM, STAGE_NAMES, stage_named
from shared.validation_text import reason_of

DATA_FIELD: Final = "data"

# The stages in pipeline order, from the one table of them (shared/pipeline.py).
STAGES: Final = STAGE_NAMES


@dataclass(frozen=True)
class StreamNames:
    """All names under one prefix; tests use their own prefix to stay apart."""

    prefix: str = "newsflow"

    def stream(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    @property
    def raw(self) -> str:
        return self.stream("raw")

    @property
    def fetched(self) -> str:
        return self.stream("fetched")

    @property
    def parsed(self) -> str:
        return self.stream("parsed")

    @property
    def enriched(self) -> str:
        return self.stream("enriched")

    @property
    def dlq(self) -> str:
        return self.stream(DEAD_LETTER_STREAM)

    def input_of(self, stage: str) -> str:
        return self.stream(stage_named(stage).input)

    def output_of(self, stage: str) -> str | None:
        suffix = stage_named(stage).output
        return self.stream(suffix) if suffix else None

    @staticmethod
    def group_of(stage: str) -> str:
        return stage_named(stage).group


# Keys are bytes as Redis returns them, or str as tests and the CLI write them.
Fields = Mapping[Any, bytes | str]


def _text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Rejected("invalid_encoding", f"field is not UTF-8: {exc}") from exc
    return value


def text_fields(fields: Fields) -> dict[str, str]:
    """The entry's fields as text, for logs and dead letters (undecodable bytes escaped)."""
    out: dict[str, str] = {}
    for key, value in fields.items():
        k = key.decode("utf-8", "backslashreplace") if isinstance(key, bytes) else key
        v = value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value
        out[k] = v
    return out


def data_field(fields: Fields) -> bytes | str:
    """The entry's `data` field (its JSON document), undecoded."""
    raw = fields.get(DATA_FIELD, fields.get(DATA_FIELD.encode()))
    if raw is None:
        raise Rejected("missing_data", f"entry has no `{DATA_FIELD}` field")
    return raw


def _json_document(fields: Fields) -> object:
    raw = data_field(fields)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Rejected("invalid_json", f"`{DATA_FIELD}` is not valid JSON: {exc}") from exc


def decode_raw_entry(fields: Fields) -> RawSubmission:
    """A raw-stream entry: either one `data` field with a JSON document, or flat fields."""
    keys = {_text(k) for k in fields}
    try:
        if keys == {DATA_FIELD}:
            document = _json_document(fields)
            if not isinstance(document, dict):
                raise Rejected("invalid_json", "the JSON document must be an object")
            return RawSubmission.model_validate(document)
        return RawSubmission.model_validate({_text(k): _text(v) for k, v in fields.items()})
    except ValidationError as exc:
        raise Rejected("invalid_submission", _validation_summary(exc)) from exc


def decode_event_entry(fields: Fields) -> ArticleEvent:
    document = _json_document(fields)
    try:
        return ArticleEvent.model_validate(document)
    except ValidationError as exc:
        raise Rejected("invalid_event", _validation_summary(exc)) from exc


def encode_json(document: bytes) -> dict[FieldT, EncodableT]:
    return {DATA_FIELD: document}


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "entry"
        parts.append(f"{where}: {reason_of(error)}")
    return "; ".join(parts)


# How `ArticleEvent.to_json` begins: the ids read off the first bytes of the stages' own
# entries, without parsing a document of up to megabytes a second time per stage.
_EVENT_HEAD = re.compile(
    rb'\{"id":"([^"\\]{1,200})","schema_version":\d+,"trace_id":"([^"\\]{1,200})"'
)


def entry_ids(fields: Fields) -> tuple[str | None, str | None]:
    """Best-effort article id and trace id of an entry, for logs and dead letters."""
    data: Any = fields.get(b"data", fields.get("data"))
    if data is not None:
        head = _EVENT_HEAD.match(data[:512].encode() if isinstance(data, str) else data[:512])
        if head is not None:
            # Any bytes but a quote match: an id that is not UTF-8 must not stop the entry's
            # logging and dead-lettering (it is shown escaped).
            return (
                head[1].decode("utf-8", "backslashreplace"),
                head[2].decode("utf-8", "backslashreplace"),
            )
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None, None
        if isinstance(document, Mapping):
            # An article event names it `id`; an alert's match (shared/alerts/wire.py),
            # `article_id`.
            article_id = document.get("id", document.get("article_id"))
            return _str_or_none(article_id), _str_or_none(document.get("trace_id"))
        return None, None
    trace = fields.get(b"trace_id", fields.get("trace_id"))
    return None, _str_or_none(trace)


def _str_or_none(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return value if isinstance(value, str) else None
