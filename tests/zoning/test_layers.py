"""zoning.layers: the registry describes every layer once and agrees with the storage schema.

No database: the SQLAlchemy table metadata is read, not a server.
"""

from __future__ import annotations

import pytest

from geodata import models as m
from zoning import layers
from zoning.screening import HIT_PROPERTIES


def test_names_dataset_keys_and_tables_are_unique() -> None:
    for attr in ("name", "dataset_key", "table", "role"):
        values = [getattr(spec, attr) for spec in layers.LAYERS]
        assert len(values) == len(set(values)), attr


def test_the_layers_design_md_lists_are_registered() -> None:
    # DESIGN.md, data model: control units, water-source protection zones, water sources, red line,
    # nature-reserve zones, monitoring points, divisions.
    assert {spec.table for spec in layers.LAYERS} >= {
        "control_unit",
        "water_protection_zone",
        "water_source",
        "ecological_redline",
        "nature_reserve_zone",
        "monitoring_point",
        "admin_division",
    }


def test_screening_reads_the_layers_design_md_names() -> None:
    # DESIGN.md, screening: units, water-protection zones, red line, (reserve zones), monitoring points.
    assert [spec.name for spec in layers.screened()] == [
        "control_units",
        "water_protection_zones",
        "ecological_redline",
        "nature_reserve_zones",
        "monitoring_points",
    ]
    for spec in layers.screened():
        assert spec.name in HIT_PROPERTIES, spec.name


@pytest.mark.parametrize("spec", layers.LAYERS, ids=lambda s: s.name)
def test_fields_key_and_geometry_exist_in_the_table(spec: layers.LayerSpec) -> None:
    table = m.metadata.tables[spec.table]
    assert spec.geometry_column in table.c
    assert table.c[spec.geometry_column].type.geometry_type.upper() == spec.geometry_type.upper()  # type: ignore[attr-defined]
    for f in spec.fields:
        assert f.column_key in table.c, f.name
        if f.enum:
            assert table.c[f.column_key].type.enums  # type: ignore[attr-defined]
    names = {f.name for f in spec.fields}
    assert set(spec.key) <= names


def test_lookups() -> None:
    assert layers.get("control_units").dataset_key == "units"
    assert layers.by_dataset_key("water_zones").name == "water_protection_zones"
    assert layers.get("ecological_redline").title == "Ecological protection red line 生态保护红线"
    with pytest.raises(KeyError):
        layers.get("units")  # a dataset key is not a layer name
