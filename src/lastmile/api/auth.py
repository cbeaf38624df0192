"""API keys with roles, and the permission table every endpoint consults.

A key is ``lm_<key id>_<secret>``: the id finds the row, the secret is stored only as its
SHA-256 (the secret is 32 random bytes, so a fast hash is enough; there is nothing to guess).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from lastmile.domain.errors import InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"
    INTEGRATOR = "integrator"
    ANALYST = "analyst"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


RESOURCES = (
    "hubs", "zones", "vehicles", "drivers", "shifts", "orders", "stops", "plans",
    "routes", "webhooks", "api-keys", "audit", "tracking-tokens",
)  # fmt: skip
_OPERATIONS = ("hubs", "zones", "vehicles", "drivers", "shifts", "orders", "stops", "plans")

#: Who may do what. Drivers additionally only see and change their own routes and stops.
PERMISSIONS: dict[Role, dict[str, frozenset[Action]]] = {
    Role.ADMIN: {r: frozenset(Action) for r in RESOURCES},
    Role.DISPATCHER: {
        **{r: frozenset(Action) for r in (*_OPERATIONS, "routes", "tracking-tokens")},
        "webhooks": frozenset({Action.READ}),
    },
    Role.DRIVER: {
        "routes": frozenset(Action),
        "stops": frozenset({Action.READ}),
    },
    Role.INTEGRATOR: {
        "orders": frozenset(Action),
        "webhooks": frozenset(Action),
        "tracking-tokens": frozenset(Action),
    },
    Role.ANALYST: {r: frozenset({Action.READ}) for r in (*_OPERATIONS, "routes")},
}


def allowed(role: Role, resource: str, action: Action) -> bool:
    return action in PERMISSIONS[role].get(resource, frozenset())


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key id (used in the audit log) and its role."""

    key_id: str
    role: Role
    driver_ref: str | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret_hash: str
    plaintext: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_key() -> NewKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, hash_secret(secret), f"lm_{key_id}_{secret}")


def split_key(presented: str) -> tuple[str, str]:
    """(key id, secret) of a presented key, or InvalidInput naming the header."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "lm" or not parts[1] or not parts[2]:
        raise InvalidInput("not a lastmile API key (expected lm_<id>_<secret>)", field="X-API-Key")
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {value!r}; one of {names}", field="role") from None
