"""The CLI's one-line failures: passwords masked, lines joined."""

from __future__ import annotations

from newsflow_cli.running import one_line


def test_a_url_password_is_masked_wherever_it_appears() -> None:
    message = (
        'invalid dsn: "postgresql+psycopg://reader:s3cr@t:x@db:5432/news" and redis://:pw@r:6379/0'
    )
    masked = one_line(message)
    assert "s3cr" not in masked and ":pw@" not in masked
    assert "postgresql+psycopg://reader:***@db:5432/news" in masked
    assert "redis://:***@r:6379/0" in masked


def test_a_url_without_a_password_is_left_alone() -> None:
    assert one_line("redis://localhost:6379/0") == "redis://localhost:6379/0"
    assert one_line("postgresql://postgres@db/test") == "postgresql://postgres@db/test"


def test_a_failure_spanning_lines_is_one() -> None:
    assert one_line("connection failed\n\tIs the server running?\n") == (
        "connection failed Is the server running?"
    )
