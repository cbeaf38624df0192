"""Closed vocabularies shared by every layer; values are the wire and storage spelling."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    CHECKOUT = "checkout"
    MARKETPLACE = "marketplace"
    STORE_PICKUP = "store_pickup"
    SCHEDULED = "scheduled"
    RETURN = "return"


class ServiceLevel(StrEnum):
    SAME_DAY = "same_day"
    NEXT_DAY = "next_day"
    SCHEDULED = "scheduled"
    EXPRESS = "express"


class Skill(StrEnum):
    REFRIGERATED = "refrigerated"
    TWO_PERSON = "two_person"
    AGE_CHECK = "age_check"
    HAZMAT = "hazmat"
    BULKY = "bulky"


class Preference(StrEnum):
    SAFE_DROP = "safe_drop"
    NO_CONTACT = "no_contact"
    LOCKER = "locker"
    NEIGHBOUR = "neighbour"
    SIGNATURE = "signature"


class StopKind(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"
    RETURN = "return"


class AddressType(StrEnum):
    """Drives the default service time: an apartment block takes longer than a house."""

    HOUSE = "house"
    APARTMENT = "apartment"
    BUSINESS = "business"
    LOCKER = "locker"
    UNKNOWN = "unknown"


class GeocodePrecision(StrEnum):
    ROOFTOP = "rooftop"
    STREET = "street"
    POSTCODE = "postcode"
    CITY = "city"
    UNKNOWN = "unknown"


class VehicleKind(StrEnum):
    VAN = "van"
    TRUCK = "truck"
    EV_VAN = "ev_van"
    CARGO_BIKE = "cargo_bike"
    CAR = "car"
    ON_FOOT = "on_foot"


class Employment(StrEnum):
    EMPLOYEE = "employee"
    PART_TIME = "part_time"
    GIG = "gig"
    CONTRACTOR = "contractor"


class LifecycleState(StrEnum):
    """Where the parcel is in its journey; says nothing about success (see Outcome)."""

    CREATED = "created"
    READY = "ready"
    PLANNED = "planned"
    DISPATCHED = "dispatched"
    LOADED = "loaded"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """How the last attempt ended; ``None`` on an order means no attempt yet."""

    DELIVERED = "delivered"
    FAILED = "failed"
    RESCHEDULED = "rescheduled"


class FailureReason(StrEnum):
    NOT_HOME = "not_home"
    REFUSED = "refused"
    ADDRESS_NOT_FOUND = "address_not_found"
    ACCESS_DENIED = "access_denied"
    DAMAGED = "damaged"
    AGE_CHECK_FAILED = "age_check_failed"
    OUT_OF_TIME = "out_of_time"
    VEHICLE_BREAKDOWN = "vehicle_breakdown"
    WEATHER = "weather"
    OTHER = "other"
