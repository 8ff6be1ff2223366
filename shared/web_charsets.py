"""The charsets a web page may declare: the WHATWG Encoding Standard's, and the legacy ones
news sites still use, by Python's codec name.

A declared charset is a page's own claim, and Python knows codecs no browser would use on a
page. Some cost time out of proportion to the bytes (punycode's decoder is quadratic: a
400 KB page declaring it held the fetcher's event loop 7 s), some are forbidden on the web
for safety (UTF-7). Only these are tried; any other declaration is ignored, as a browser
ignores it.
"""

from __future__ import annotations

import codecs
from typing import Final

_LABELS: Final = (
    # The Encoding Standard's encodings (https://encoding.spec.whatwg.org/#names-and-labels)
    "utf-8", "ibm866", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6",
    "iso-8859-7", "iso-8859-8", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15",
    "iso-8859-16", "koi8-r", "koi8-u", "macintosh", "cp874", "windows-1250",
    "windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255",
    "windows-1256", "windows-1257", "windows-1258", "mac-cyrillic", "gbk", "gb18030",
    "big5", "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr", "utf-16be", "utf-16le",
    # Labels the standard folds into one of those, which Python decodes apart; and Python's
    # names where it lacks the web's label (windows-874, x-mac-cyrillic, windows-31j,
    # windows-949), which web_charset maps below.
    "us-ascii", "iso-8859-1", "iso-8859-9", "iso-8859-11", "tis-620", "gb2312", "big5-hkscs",
    "cp932", "euc-jis-2004", "shift_jis_2004", "cp949", "iso-2022-kr",
    "utf-16", "utf-32", "utf-32-le", "utf-32-be",
)  # fmt: skip


_ALLOWED: Final = frozenset(codecs.lookup(label).name for label in _LABELS)


# The web's labels Python does not know.
_WEB_ONLY: Final = {
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "windows-31j": "cp932",
    "windows-949": "cp949",
}


def web_charset(label: str) -> str | None:
    """Python's codec name for a charset label a page may use, else None (unknown, or not a
    web charset)."""
    wanted = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_WEB_ONLY.get(wanted, wanted)).name
    except LookupError:
        return None
    return name if name in _ALLOWED else None
