"""Database URLs: what users type is accepted or refused with the field named."""

from __future__ import annotations

import pytest

from lastmile.domain import InvalidInput
from lastmile.store.db import normalize_url


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@db:5432/lastmile", "postgres://u:p@db:5432/lastmile"],
)
def test_plain_postgresql_urls_are_routed_to_psycopg_3(url: str) -> None:
    parsed = normalize_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.database, parsed.password) == ("db", "lastmile", "p")


def test_sqlite_urls_are_kept_as_given() -> None:
    assert normalize_url("sqlite:///var/lastmile.sqlite3").database == "var/lastmile.sqlite3"


@pytest.mark.parametrize("url", ["mysql://u@db/x", "not a url"])
def test_other_databases_and_garbage_are_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalize_url(url)
    assert err.value.field == "database_url"
