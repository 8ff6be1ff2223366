"""`newsflow parse` / `newsflow enrich` run the stages' functions on local files."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import orjson

from tests.conftest import SEED

HTML = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Rivers rise in the north - Example News</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Rivers rise in the north</h1>
<p>Heavy rain over the weekend pushed three rivers in the northern provinces above their
flood marks on Sunday, officials said, and more rain is expected this week.</p>
<p>Emergency services moved about two hundred residents from low-lying villages to schools
and sports halls overnight, the regional authority said in a statement.</p>
<p>Forecasters expect the water to peak on Tuesday before slowly receding later in the week,
although they warned that the ground was already saturated.</p>
</article><footer>Copyright Example News</footer></body></html>"""


def run_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args], capture_output=True, timeout=120, check=False
    )


def test_parse_prints_one_json_line_per_input_in_order(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(HTML))
    result = run_cli("parse", str(SEED), str(page))
    assert result.returncode == 0, result.stderr.decode()
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(SEED), str(page)]
    seed, html = lines
    assert seed["article"]["title"].startswith("DPRK troops' participation")
    assert "\n\n" in seed["article"]["text"]
    assert html["article"]["title"] == "Rivers rise in the north"
    assert "two hundred residents" in html["article"]["text"]
    assert "Home" not in html["article"]["text"]


def test_parse_reports_a_bad_file_and_goes_on(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    result = run_cli("parse", str(empty), str(SEED))
    assert result.returncode == 1
    first, second = (orjson.loads(line) for line in result.stdout.splitlines())
    assert first["path"] == str(empty) and "error" in first
    assert second["article"]["title"]


def test_enrich_adds_language_and_word_count() -> None:
    result = run_cli("enrich", str(SEED))
    assert result.returncode == 0, result.stderr.decode()
    event = orjson.loads(result.stdout.splitlines()[0])
    assert event["enrichment"]["language"]["code"] == "en"
    assert event["enrichment"]["word_count"] > 200
