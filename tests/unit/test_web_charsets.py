"""The charsets a page may declare: the web's, by Python's codec name; none of the codecs
Python has that no browser would use on a page."""

from __future__ import annotations

import pytest

from shared.web_charsets import web_charset


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("windows-1251", "cp1251"),
        ('"koi8-r"', "koi8-r"),
        ("Shift_JIS", "shift_jis"),
        ("gb18030", "gb18030"),
        ("euc-kr", "euc_kr"),
        ("latin1", "iso8859-1"),
        ("utf-16le", "utf-16-le"),
        ("windows-874", "cp874"),
        ("Windows-31J", "cp932"),
    ],
)
def test_the_web_s_charsets_are_known_by_python_s_name(label: str, codec: str) -> None:
    assert web_charset(label) == codec


@pytest.mark.parametrize(
    "label",
    [
        "punycode",
        "idna",
        "utf-7",
        "unicode_escape",
        "raw_unicode_escape",
        "rot13",
        "hex",
        "nonsense",
        "",
    ],
)
def test_other_codecs_and_unknown_names_are_none(label: str) -> None:
    assert web_charset(label) is None
