"""The journey state machine of an order.

Lifecycle state says where the parcel is; outcome says how the last attempt ended. Keeping them
apart lets "completed, failed: not home" and "completed, delivered" share the lifecycle while
reports can still ask "how many were delivered on the first attempt".
"""

from __future__ import annotations

from lastmile.domain.enums import LifecycleState as S
from lastmile.domain.enums import Outcome

#: Every legal move; anything else is refused with IllegalTransition.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.CREATED: frozenset({S.READY, S.PLANNED, S.CANCELLED}),
    S.READY: frozenset({S.PLANNED, S.CANCELLED}),
    # planned -> ready: the order was taken out of a plan (re-plan, deferred to tomorrow).
    S.PLANNED: frozenset({S.READY, S.DISPATCHED, S.CANCELLED}),
    # dispatched -> planned: the route was recalled before the van was loaded.
    S.DISPATCHED: frozenset({S.PLANNED, S.LOADED, S.CANCELLED}),
    # loaded -> returned: unloaded at the hub again (breakdown, cancelled route).
    S.LOADED: frozenset({S.OUT_FOR_DELIVERY, S.RETURNED}),
    S.OUT_FOR_DELIVERY: frozenset({S.ARRIVED, S.COMPLETED, S.RETURNED, S.LOADED}),
    # arrived -> out_for_delivery: the driver left without an attempt (wrong stop, will return).
    S.ARRIVED: frozenset({S.COMPLETED, S.OUT_FOR_DELIVERY}),
    # completed (failed) -> out_for_delivery: re-attempt later the same day from the same van.
    S.COMPLETED: frozenset({S.OUT_FOR_DELIVERY, S.RETURNED}),
    # returned -> ready: back on the shelf for another attempt (usually rescheduled).
    S.RETURNED: frozenset({S.READY, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

#: States in which the parcel is physically on a vehicle.
ON_VEHICLE: frozenset[S] = frozenset({S.LOADED, S.OUT_FOR_DELIVERY, S.ARRIVED})

#: States from which a customer or dispatcher may move the promised window.
RESCHEDULABLE: frozenset[S] = frozenset({S.CREATED, S.READY, S.PLANNED, S.RETURNED})


def is_legal(current: S, target: S) -> bool:
    return target in TRANSITIONS[current]


def is_terminal(state: S, outcome: Outcome | None) -> bool:
    """Nothing more will happen to the order without a new instruction."""
    if state is S.CANCELLED:
        return True
    return state is S.COMPLETED and outcome is Outcome.DELIVERED


def leaves_completed_legally(outcome: Outcome | None, target: S) -> bool:
    """A delivered parcel never goes back on the road; only a failed attempt may."""
    return outcome is not Outcome.DELIVERED or target not in (S.OUT_FOR_DELIVERY, S.RETURNED)
