from __future__ import annotations

import pytest

from lastmile.domain.enums import FailureReason
from lastmile.domain.errors import InvalidInput
from lastmile.tracking.carriers import CarrierMap, Mapping
from lastmile.tracking.model import ScanKind


def test_shipped_karrio_statuses_map_onto_lastmile_scans() -> None:
    shipped = CarrierMap.shipped()
    assert shipped.lookup("karrio", "delivered") == Mapping(ScanKind.DELIVERED)
    assert shipped.lookup("Karrio", "Out-For-Delivery") == Mapping(ScanKind.DEPARTED)
    failed = shipped.lookup("karrio", "delivery_failed")
    assert failed is not None and failed.kind is ScanKind.ATTEMPTED


def test_a_known_status_that_means_no_move_maps_to_no_scan() -> None:
    assert CarrierMap.shipped().lookup("karrio", "delivery_delayed") == Mapping(None)


def test_an_unmapped_status_is_reported_not_guessed() -> None:
    assert CarrierMap.shipped().lookup("karrio", "teleported") is None
    assert CarrierMap.shipped().lookup("dhl", "delivered") is None


def test_users_extend_and_override_the_shipped_table_with_a_csv() -> None:
    custom = CarrierMap.from_csv(
        "source,status,scan_kind,reason\n"
        "acme,ZUGESTELLT,delivered,\n"
        "karrio,delivery_failed,attempted,not_home\n"
    )
    merged = CarrierMap.shipped().extended(custom)
    assert merged.lookup("acme", "zugestellt") == Mapping(ScanKind.DELIVERED)
    assert merged.lookup("karrio", "delivery_failed") == Mapping(
        ScanKind.ATTEMPTED, FailureReason.NOT_HOME
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("acme,x,flying,\n", "line 2.*unknown scan kind 'flying'"),
        ("acme,x,attempted,\n", "line 2.*reason is required"),
        ("acme,x,delivered,not_home\n", "line 2.*only for it"),
        ("acme,x,attempted,bored\n", "line 2.*unknown failure reason"),
        (",x,delivered,\n", "line 2.*must not be empty"),
    ],
)
def test_a_bad_mapping_row_names_its_line(body: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        CarrierMap.from_csv("source,status,scan_kind,reason\n" + body, "my.csv")


def test_a_mapping_csv_without_the_columns_is_refused() -> None:
    with pytest.raises(InvalidInput, match="missing columns"):
        CarrierMap.from_csv("source,status\nacme,x\n")


def test_a_users_mapping_folder_extends_the_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "acme.csv").write_text("source,status,scan_kind,reason\nacme,OUT,departed,\n")
    assert CarrierMap.from_paths(tmp_path).lookup("acme", "out") == Mapping(ScanKind.DEPARTED)
    with pytest.raises(InvalidInput, match="no such mapping"):
        CarrierMap.from_paths(tmp_path / "missing.csv")
