"""The query model: the web-search parser, its two renderings, checks and cursors."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.store.article_query import (
    ArticleQuery,
    QueryError,
    decode_cursor,
    encode_cursor,
    parse_websearch,
    to_fts5,
    to_websearch,
)


def test_words_phrases_or_and_not() -> None:
    search = parse_websearch('Kim "North Korea" missile OR rocket -sanctions')
    assert to_fts5(search) == (
        '(("kim") AND ("north korea") AND ("missile" OR "rocket")) NOT "sanctions"'
    )
    assert to_websearch(search) == '"kim" "north korea" "missile" OR "rocket" -"sanctions"'


def test_punctuation_splits_words_into_phrases() -> None:
    assert to_fts5(parse_websearch("U.S.")) == '("u s")'


def test_stray_or_and_unclosed_quote() -> None:
    assert to_fts5(parse_websearch('OR a OR "b c')) == '("a" OR "b c")'


@pytest.mark.parametrize("q", ["-a", '-"a b"', "!!!", "a OR -b", "x " * 40, "a" * 1001])
def test_malformed_q(q: str) -> None:
    with pytest.raises(QueryError):
        parse_websearch(q)


@pytest.mark.parametrize(
    "fields",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "x"},
        {"countries": ("KPR",)},
        {"date_from": "yesterday"},
        {"date_from": "2020-02-01", "date_to": "2020-01-01"},
        {"cursor": "!!!"},
        {"cursor": encode_cursor("oldest", None, "x")},
        {"sort": "best"},
    ],
)
def test_malformed_fields_are_query_errors(fields: dict[str, object]) -> None:
    with pytest.raises(QueryError) as caught:
        ArticleQuery.checked(**fields)
    assert caught.value.message


def test_normalized_fields() -> None:
    query = ArticleQuery.checked(
        q="  ", countries=("kp",), languages=("EN",), date_from="2020-01-01"
    )
    assert query.q is None and query.countries == ("KP",) and query.languages == ("en",)
    assert query.date_from is not None and query.date_from.tzinfo is not None
    assert query.effective_sort == "newest"
    assert ArticleQuery(q="a").effective_sort == "relevance"


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor("relevance", 0.5, "id1"), "relevance") == (0.5, "id1")
    stamp = "2020-01-01T00:00:00.000000+00:00"
    assert decode_cursor(encode_cursor("newest", stamp, "i"), "newest") == (stamp, "i")


@given(st.text(max_size=200))
def test_any_q_is_parsed_or_refused_and_fts5_accepts_the_rendering(q: str) -> None:
    try:
        search = parse_websearch(q)
    except QueryError:
        return
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    db.execute("INSERT INTO t VALUES ('a b c')")
    db.execute("SELECT * FROM t WHERE t MATCH ?", (to_fts5(search),)).fetchall()


@given(st.text(max_size=100))
def test_any_cursor_is_decoded_or_refused(cursor: str) -> None:
    with contextlib.suppress(QueryError):
        decode_cursor(cursor, "newest")
