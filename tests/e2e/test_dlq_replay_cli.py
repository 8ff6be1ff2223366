"""`newsflow dlq replay` replays whole letters byte for byte and refuses cut ones."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis

from shared.events import DeadLetter
from shared.settings import Settings
from shared.streams import StreamNames, encode_json
from tests.e2e.harness import stage_env

pytestmark = pytest.mark.e2e


def letter(names: StreamNames, *, truncated: bool) -> DeadLetter:
    return DeadLetter(
        stage="fetcher", reason="too_large", error_type="Rejected", message="m",
        source_stream=names.raw, source_entry_id="1-0", payload={"url": "https://a.example/"},
        payload_b64={"content": "Q2Fm6Q=="}, payload_truncated=truncated, payload_size=99,
    )  # fmt: skip


def test_replay_skips_cut_letters_and_says_so(settings: Settings, client: redis.Redis) -> None:
    names = StreamNames(settings.stream_prefix)
    whole = client.xadd(names.dlq, encode_json(letter(names, truncated=False).to_json()))
    cut = client.xadd(names.dlq, encode_json(letter(names, truncated=True).to_json()))
    done = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "dlq", "replay", "--all"],
        env={**os.environ, **stage_env(settings)}, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    message = done.stderr.decode()
    assert "replayed 1 dead letter(s)" in message and cut.decode() in message
    assert whole.decode() not in message
    [(_id, fields)] = client.xrange(names.raw)
    assert fields == {b"url": b"https://a.example/", b"content": b"Caf\xe9"}
    assert [entry_id for entry_id, _ in client.xrange(names.dlq)] == [cut]
