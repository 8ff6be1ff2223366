"""Bytes to text whatever the page declares: BOM, header, meta, or nothing at all."""

from __future__ import annotations

import codecs

import pytest

from services.parser.decode import decode_document

RUSSIAN = (
    "<html><head><title>Новости</title></head><body><p>Присяжные оправдали мужчину, "
    + ("который обвинялся в убийстве активиста в подмосковном Серпухове. " * 20)
    + "</p></body></html>"
)
TURKISH = (
    "<html><body><p>Samsun'da sobadan zehirlenen 2 çocuk hastanelik oldu. "
    + ("Olay İlkadım ilçesi Kadıköy Mahallesi'nde meydana geldi, ağır şekilde. " * 20)
    + "</p></body></html>"
)
JAPANESE = (
    "<html><body><p>"
    + ("今年の4月に新卒で販売業に就職したものです。毎月十五日区切りでシフトが出ます。" * 20)
    + "</p></body></html>"
)
CHINESE = (
    "<html><body><p>"
    + ("日本產經新聞報導，日本電子產品製造商索尼與記憶體製造商已經向美國申請。" * 20)
    + "</p></body></html>"
)


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        (RUSSIAN, "windows-1251"),
        (RUSSIAN, "koi8-r"),
        (TURKISH, "windows-1254"),
        (JAPANESE, "shift_jis"),
        (JAPANESE, "euc-jp"),
        (CHINESE, "big5"),
    ],
)
def test_declared_charset_is_used(text: str, charset: str) -> None:
    decoded, _ = decode_document(text.encode(charset), declared=charset)
    assert decoded == text


@pytest.mark.parametrize(
    ("text", "charset"),
    [(RUSSIAN, "windows-1251"), (JAPANESE, "shift_jis"), (CHINESE, "gb18030")],
)
def test_meta_charset_is_used_without_a_header(text: str, charset: str) -> None:
    page = text.replace("<html>", f'<html><meta charset="{charset}">')
    decoded, _ = decode_document(page.encode(charset))
    assert "Присяжные" in decoded or "新卒" in decoded or "索尼" in decoded


@pytest.mark.parametrize(("text", "charset"), [(RUSSIAN, "windows-1251"), (JAPANESE, "shift_jis")])
def test_undeclared_charset_is_detected(text: str, charset: str) -> None:
    decoded, _ = decode_document(text.encode(charset))
    assert decoded == text


def test_utf8_wins_over_a_wrong_single_byte_declaration() -> None:
    decoded, charset = decode_document(TURKISH.encode("utf-8"), declared="iso-8859-1")
    assert charset == "utf-8"
    assert "İlkadım" in decoded and "Ä°" not in decoded


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_byte_order_mark_decides(bom: bytes, codec: str) -> None:
    decoded, charset = decode_document(bom + RUSSIAN.encode(codec), declared="windows-1251")
    assert decoded == RUSSIAN
    assert charset == codec
