"""Database and Redis URLs: parsed once at start-up, refused with the password masked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.secret_text import masked, masked_urls
from shared.settings import Settings

PASSWORD = "S3kr1t-pw"


def settings_with(**env: str | None) -> Settings:
    return Settings.model_validate(env)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:pw@db:5432/news", "postgresql://u:pw@db:5432/news"),
        ("postgres://u:pw@db/news", "postgresql://u:pw@db/news"),
        ("postgresql+psycopg://u:pw@db/news", "postgresql://u:pw@db/news"),
        ("postgresql:///news?host=/run/postgresql", "postgresql:///news?host=/run/postgresql"),
        ("postgresql://u:50%25off@db/news", "postgresql://u:50%25off@db/news"),
    ],
)
def test_database_urls_are_normalized_for_psycopg(given: str, used: str) -> None:
    settings = settings_with(DATABASE_URL=given)
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == used
    assert settings.uses_postgres


def test_an_empty_database_url_means_sqlite() -> None:
    settings = settings_with(DATABASE_URL="")
    assert settings.database_url is None and not settings.uses_postgres


@pytest.mark.parametrize(
    "url",
    ["redis://:pw@r:6379/0", "rediss://u:pw@r:6380/1", "unix:///run/redis.sock?db=2"],
)
def test_redis_urls_of_every_supported_scheme_are_accepted(url: str) -> None:
    assert settings_with(REDIS_URL=url).redis_url.get_secret_value() == url


@pytest.mark.parametrize(
    ("variable", "url", "shown"),
    [
        ("DATABASE_URL", f"mysql://user:{PASSWORD}@db/news", "mysql://user:***@db/news"),
        ("DATABASE_URL", f"sqlite://user:{PASSWORD}@x/y", "sqlite://user:***@x/y"),
        (
            "DATABASE_URL",
            f"postgresql://user:{PASSWORD}@db:port/news",
            "postgresql://user:***@db:port/news",
        ),
        # libpq refuses a % that starts no escape, and %00, quoting the password whole.
        (
            "DATABASE_URL",
            f"postgresql://user:50%off-{PASSWORD}@db/news",
            "postgresql://user:***@db/news",
        ),
        (
            "DATABASE_URL",
            f"postgresql://user:{PASSWORD}%00@db/news",
            "postgresql://user:***@db/news",
        ),
        ("DATABASE_URL", f"postgresql://user@db/news?password={PASSWORD}%", "password=***"),
        ("REDIS_URL", f"http://:{PASSWORD}@r:6379/0", "http://:***@r:6379/0"),
        ("REDIS_URL", f"redis://:{PASSWORD}@r:63x79/0", "redis://:***@r:63x79/0"),
        ("REDIS_URL", f"redis://:{PASSWORD}@r:99999/0", "redis://:***@r:99999/0"),
    ],
)
def test_a_bad_url_is_refused_with_its_password_masked(variable: str, url: str, shown: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings_with(**{variable: url})
    message = str(refused.value)
    assert shown in message and variable in message
    assert PASSWORD not in message and PASSWORD not in repr(refused.value)


def test_no_other_setting_echoes_its_input_in_errors() -> None:
    with pytest.raises(ValidationError) as refused:
        settings_with(batch_size=f"{PASSWORD}")
    assert PASSWORD not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f'missing "=" after "postgresql+psycopg://u:{PASSWORD}@h/db" in connection info',
            'missing "=" after "postgresql+psycopg://u:***@h/db" in connection info',
        ),
        (f"redis://:{PASSWORD}@r:6379/0", "redis://:***@r:6379/0"),
        (f"host=h password={PASSWORD} dbname=x", "host=h password=*** dbname=x"),
        (f"host=h password='{PASSWORD} x' dbname=x", "host=h password=*** dbname=x"),
        (f"postgresql://u:p@ss{PASSWORD}@h/db", "postgresql://u:***@h/db"),
        ("no secrets here: https://example.com/a@b", "no secrets here: https://example.com/a@b"),
    ],
)
def test_passwords_in_text_are_masked(text: str, expected: str) -> None:
    assert masked(text) == expected


@pytest.mark.parametrize(
    ("shown", "masked_form"),
    [
        ("https://u:pw@feeds.example/rss", "https://u:***@feeds.example/rss"),
        ("https://x.example/?api_key=K1&lang=en", "https://x.example/?api_key=***&lang=en"),
        ("https://x.example/f?a=1&Token=T2#top", "https://x.example/f?a=1&Token=***#top"),
        ("https://x.example/f?q=seoul&page=2", "https://x.example/f?q=seoul&page=2"),
        ("https://x.example/?sig=S3: http_403", "https://x.example/?sig=***: http_403"),
    ],
)
def test_masked_urls_withholds_passwords_and_secret_named_values(
    shown: str, masked_form: str
) -> None:
    assert masked_urls(shown) == masked_form
