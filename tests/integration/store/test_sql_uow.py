"""The SQL unit of work keeps every promise of the shared contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.unit.store.contract import *  # noqa: F403  (the shared sentences, run on SQL)

pytestmark = pytest.mark.storage
