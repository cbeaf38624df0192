"""Keys and roles: what each role may do, and how keys are made and checked."""

from __future__ import annotations

import pytest

from lastmile.api.auth import (
    Action,
    Role,
    allowed,
    generate_key,
    parse_role,
    secret_matches,
    split_key,
)
from lastmile.domain.errors import InvalidInput


def test_a_generated_key_matches_its_hash_and_nothing_else() -> None:
    new = generate_key()
    key_id, secret = split_key(new.plaintext)
    assert key_id == new.key_id
    assert secret_matches(secret, new.secret_hash)
    assert not secret_matches(secret + "x", new.secret_hash)
    assert secret not in new.secret_hash


def test_two_keys_never_share_an_id_or_secret() -> None:
    keys = [generate_key() for _ in range(50)]
    assert len({k.key_id for k in keys}) == len({k.plaintext for k in keys}) == 50


@pytest.mark.parametrize("text", ["", "lm_", "lm_abc", "xx_a_b", "lm__secret"])
def test_malformed_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        split_key(text)


def test_an_analyst_reads_everything_operational_and_writes_nothing() -> None:
    assert allowed(Role.ANALYST, "orders", Action.READ)
    assert not any(allowed(Role.ANALYST, r, Action.WRITE) for r in ("orders", "routes", "hubs"))
    assert not allowed(Role.ANALYST, "api-keys", Action.READ)


def test_an_integrator_is_scoped_to_orders_and_webhooks() -> None:
    assert allowed(Role.INTEGRATOR, "orders", Action.WRITE)
    assert allowed(Role.INTEGRATOR, "webhooks", Action.WRITE)
    assert not allowed(Role.INTEGRATOR, "routes", Action.READ)
    assert not allowed(Role.INTEGRATOR, "hubs", Action.READ)


def test_only_admins_manage_keys_and_read_the_audit_log() -> None:
    for role in Role:
        assert allowed(role, "api-keys", Action.WRITE) == (role is Role.ADMIN)
        assert allowed(role, "audit", Action.READ) == (role is Role.ADMIN)


def test_an_unknown_role_names_the_choices() -> None:
    with pytest.raises(InvalidInput, match="dispatcher"):
        parse_role("boss")
