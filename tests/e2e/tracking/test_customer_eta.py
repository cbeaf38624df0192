"""The customer's tracking page shows the live ETA once the route's vehicle is tracked."""

from __future__ import annotations

import pytest

from .test_webhook_events import HUB, Api, api  # noqa: F401  (the fixture)

pytestmark = pytest.mark.storage


def test_the_tracking_token_view_moves_from_the_planned_to_the_live_eta(
    api: Api,  # noqa: F811
) -> None:
    token = api.post("/v1/orders/O-1/tracking-tokens", json={"ttl_hours": 1})["token"]
    planned = api.client.get(f"/v1/track/{token}").json()
    assert planned["eta_source"] == "plan" and planned["eta"].startswith("2026-11-24T08:20")
    api.follow()
    api.pings([(10, HUB)])
    etas = api.client.get("/v1/tracking/routes/R1/etas", headers=api.headers).json()
    live_eta = next(s["eta"] for s in etas["stops"] if s["order_refs"] == ["O-1"])
    live = api.client.get(f"/v1/track/{token}").json()
    assert live["eta_source"] == "live" and live["eta"] == live_eta
    assert "Street 1" not in str(live) and set(live["area"]) == {"postcode", "city", "lat", "lon"}
    api.scan("O-1", "delivered")
    done = api.client.get(f"/v1/track/{token}").json()
    assert done["state"] == "completed" and done["eta"] is None
