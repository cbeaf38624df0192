"""Sizing the scenario's fleet to a number of vehicles the user asks for."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from lastmile.domain import InvalidInput
from lastmile.sim.scenario import Scenario


def trim_fleet(scenario: Scenario, vehicles: int) -> None:
    """Keep ``vehicles`` vehicles, shared between hubs as their orders are (every hub with
    orders keeps one); more than the scenario has are copies of its vehicles and shifts."""
    hubs = [h.ref for h in scenario.hubs if any(v.hub_ref == h.ref for v in scenario.vehicles)]
    if vehicles < len(hubs):
        raise InvalidInput(
            f"need at least one vehicle per hub ({len(hubs)}), got {vehicles}", field="vehicles"
        )
    orders = Counter(o.hub_ref for o in scenario.orders)
    total = sum(orders[h] for h in hubs) or 1
    quota = {h: max(1, round(vehicles * orders[h] / total)) for h in hubs}
    while sum(quota.values()) > vehicles:
        quota[max(quota, key=lambda h: (quota[h], h))] -= 1
    while sum(quota.values()) < vehicles:
        quota[min(quota, key=lambda h: (quota[h] / max(1, orders[h]), h))] += 1
    kept, shifts = [], []
    drivers = {d.ref: d for d in scenario.drivers}
    for hub in hubs:
        own = [v for v in scenario.vehicles if v.hub_ref == hub]
        crews = [s for s in scenario.shifts if s.vehicle_ref in {v.ref for v in own}]
        for n in range(quota[hub]):
            vehicle, shift = own[n % len(own)], crews[n % len(crews)]
            if n >= len(own):
                copy = n // len(own) + 1
                vehicle = replace(vehicle, ref=f"{vehicle.ref}-{copy}")
                driver = replace(drivers[shift.driver_ref], ref=f"{shift.driver_ref}-{copy}")
                scenario.drivers.append(driver)
                shift = replace(shift, ref=f"{shift.ref}-{copy}", driver_ref=driver.ref)
            kept.append(vehicle)
            shifts.append(replace(shift, vehicle_ref=vehicle.ref))
    scenario.vehicles = kept
    scenario.shifts = shifts


#: The twin's roster, cycled over each hub's vehicles: early vans take the morning slots,
#: late ones the evening, where most customers want their parcels.
ROSTER_START_H = (7, 12, 8, 13, 10, 12)
ROSTER_SHIFT_H = 9
LAST_RETURN_H = 22


def roster_for_demand(scenario: Scenario) -> None:
    """Give each vehicle's driver a nine-hour shift from the roster (the generator's shifts
    are a sample for imports, mostly in the morning); spare drivers stay home."""
    shifts = []
    by_hub: dict[str, int] = Counter()
    for shift in scenario.shifts:
        if shift.vehicle_ref is None:
            continue
        n = by_hub[shift.hub_ref]
        by_hub[shift.hub_ref] += 1
        start_h = ROSTER_START_H[n % len(ROSTER_START_H)]
        start = shift.start.replace(hour=start_h, minute=0)
        end = start.replace(hour=min(LAST_RETURN_H, start_h + ROSTER_SHIFT_H))
        shifts.append(replace(shift, start=start, end=end, max_overtime_s=1800))
    scenario.shifts = shifts
