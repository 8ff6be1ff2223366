from __future__ import annotations

import codecs

from services.fetcher.charset import page_charset

RUSSIAN = "Городская дума приняла бюджет"


def test_a_charset_in_a_meta_tag_only() -> None:
    body = f'<html><head><meta charset="windows-1251"></head><p>{RUSSIAN}</p>'.encode("cp1251")
    assert page_charset(body, None) == "cp1251"


def test_an_http_equiv_meta_tag() -> None:
    body = (
        f'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>{RUSSIAN}</p>'
    ).encode("koi8-r")
    assert page_charset(body, None) == "koi8-r"


def test_the_header_wins_when_the_bytes_agree() -> None:
    body = f'<meta charset="utf-8"><p>{RUSSIAN}</p>'.encode("cp1251")
    assert page_charset(body, "windows-1251") == "cp1251"


def test_a_declared_charset_the_bytes_are_not_in_is_passed_over() -> None:
    body = f'<meta charset="euc-kr"><p>{RUSSIAN} 세종시</p>'.encode()
    assert page_charset(body, None) == "utf-8"


def test_a_byte_order_mark_wins() -> None:
    assert page_charset(codecs.BOM_UTF8 + b"<p>x</p>", "iso-8859-1") == "utf-8"


def test_undeclared_bytes_are_detected() -> None:
    text = " ".join([RUSSIAN] * 30)
    assert page_charset(f"<p>{text}</p>".encode("cp1251"), None) in {"cp1251", "mac_cyrillic"}


def test_a_declared_charset_no_page_may_use_is_ignored() -> None:
    """Punycode decodes pure ASCII "cleanly", in time quadratic in its length: a page
    declaring it held the event loop for seconds. Like a browser, the fetcher ignores it."""
    body = b'<meta charset="punycode"><p>' + b"x" * 2_000 + b"-" + b"a" * 2_000 + b"</p>"
    assert page_charset(body, None) == "utf-8"
    assert page_charset(body, "punycode") == "utf-8"
    assert page_charset(b"<p>+AGEAYgBj-</p>", "utf-7") == "utf-8"
