"""The layer registry: every zoning layer kind, described once.

A layer kind has ONE name (``name``: the OGC collection id, the key of a screening result's
``layers``, the map's layer id), and the registry maps it to the spellings the storage and the
dataset files use (``dataset_key`` — the ``geodata/nanchang/FORMAT.md`` key and the snapshot
attribute — and ``table``, the PostGIS table). It carries the layer's geometry type, the key that
identifies a feature across versions, the fields it publishes, its zh/en labels, its map style and
whether screening and point location read it.

Code that handles "every layer" loops over :data:`LAYERS` instead of naming layers by hand; adding
a layer starts here (see docs/ARCHITECTURE.md, "Adding a layer").

Pure domain code: nothing here knows HTTP, SQL or Folium.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "LAYERS",
    "FieldSpec",
    "LayerSpec",
    "by_dataset_key",
    "get",
    "located",
    "screened",
]

GeometryType = Literal["MultiPolygon", "Point", "MultiLineString"]
FieldType = Literal["string", "number", "array", "boolean"]


@dataclass(frozen=True)
class FieldSpec:
    """A published property of a layer: wire name, JSON-Schema type, title, and storage column."""

    name: str
    type: FieldType
    title: str
    column: str | None = None
    """The table column, when it is not spelled like the wire name (``class`` → ``control_class``)."""
    enum: bool = False
    """True when the column is a database enum (its values are listed in the schema)."""

    @property
    def column_key(self) -> str:
        """The column the field is stored in."""
        return self.column or self.name


@dataclass(frozen=True)
class LayerSpec:
    """One zoning layer kind."""

    name: str
    """The one name: OGC collection id, screening-result key, map layer id."""
    dataset_key: str
    """Key in the dataset files (FORMAT.md), the repository's ``DatasetLayers`` and the snapshot."""
    table: str
    """PostGIS table holding the layer's rows of every dataset version."""
    role: str
    """What one feature is called in findings and GeoJSON ``role`` properties (singular)."""
    geometry_type: GeometryType
    geometry_column: str
    key: tuple[str, ...]
    """Fields that identify a feature across versions; joined with '-' into the feature id."""
    fields: tuple[FieldSpec, ...]
    label_zh: str
    label_en: str
    description: str
    style: dict[str, object] = field(default_factory=dict)
    """Leaflet path style of the layer on the map (categorical layers refine it per value)."""
    style_by: str | None = None
    """Field whose value picks the colour on the map and in the legend, if any."""
    screening: bool = False
    """Screening reads this layer (hits by footprint or buffer, findings)."""
    locate: bool = False
    """Point location answers with this layer's features holding the point."""
    map_layer: bool = False
    """The /map page draws this layer from the snapshot."""
    name_field: str = "name_zh"
    """The field that names a feature in reports and map panels."""

    @property
    def title(self) -> str:
        """Bilingual title: English then Chinese, as the OGC catalogue shows it."""
        return f"{self.label_en} {self.label_zh}"

    def field_named(self, name: str) -> FieldSpec | None:
        """The published field of this name, if the layer has it."""
        return next((f for f in self.fields if f.name == name), None)


_AREA = FieldSpec("area_m2", "number", "Geodesic area, m²")

# Colours follow the provincial 三线一单 atlases (see app/maps/style.py for the per-value palettes).
LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec(
        name="control_units",
        dataset_key="units",
        table="control_unit",
        role="control_unit",
        geometry_type="MultiPolygon",
        geometry_column="geom",
        key=("code",),
        fields=(
            FieldSpec("code", "string", "Unit code (ZH…)"),
            FieldSpec("name_zh", "string", "Name (zh)"),
            FieldSpec("name_en", "string", "Name (en)"),
            FieldSpec("class", "string", "Control class", column="control_class", enum=True),
            FieldSpec("division_code", "string", "County-level division code"),
            FieldSpec("tags", "array", "Tags"),
            _AREA,
        ),
        label_zh="环境管控单元",
        label_en="Ecological-environment control units",
        description="The control units of 三线一单 with their class (priority / key / general), "
        "county-level division and geodesic area.",
        style={"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.55},
        style_by="class",
        screening=True,
        locate=True,
        map_layer=True,
    ),
    LayerSpec(
        name="water_protection_zones",
        dataset_key="water_zones",
        table="water_protection_zone",
        role="water_protection_zone",
        geometry_type="MultiPolygon",
        geometry_column="geom",
        key=("source_code", "grade"),
        fields=(
            FieldSpec("source_code", "string", "Water-source code"),
            FieldSpec("grade", "string", "Protection grade", enum=True),
            _AREA,
        ),
        label_zh="饮用水水源保护区",
        label_en="Drinking-water source protection zones",
        description="Protection zones of the centralised drinking-water sources by grade "
        "(I / II / quasi, HJ 338-2018).",
        style={"weight": 1, "fillOpacity": 0.75},
        style_by="grade",
        screening=True,
        locate=True,
        map_layer=True,
        name_field="source_name_zh",
    ),
    LayerSpec(
        name="water_sources",
        dataset_key="water_sources",
        table="water_source",
        role="water_source",
        geometry_type="Point",
        geometry_column="intake",
        key=("code",),
        fields=(
            FieldSpec("code", "string", "Water-source code"),
            FieldSpec("name_zh", "string", "Name (zh)"),
            FieldSpec("name_en", "string", "Name (en)"),
            FieldSpec("level", "string", "Level", enum=True),
            FieldSpec("kind", "string", "Kind", enum=True),
            FieldSpec("status", "string", "Status", enum=True),
            FieldSpec("river_zh", "string", "River (zh)"),
            FieldSpec("division_code", "string", "County-level division code"),
        ),
        label_zh="集中式饮用水水源地",
        label_en="Drinking-water sources",
        description="Centralised drinking-water sources with their intake point.",
    ),
    LayerSpec(
        name="ecological_redline",
        dataset_key="redlines",
        table="ecological_redline",
        role="ecological_redline",
        geometry_type="MultiPolygon",
        geometry_column="geom",
        key=("code",),
        fields=(
            FieldSpec("code", "string", "Red-line patch code"),
            FieldSpec("name_zh", "string", "Name (zh)"),
            FieldSpec("kind", "string", "Kind", enum=True),
            _AREA,
        ),
        label_zh="生态保护红线",
        label_en="Ecological protection red line",
        description="Areas inside the ecological protection red line, by kind.",
        style={
            "color": "#b71c1c",
            "weight": 2,
            "dashArray": "6 3",
            "fillColor": "#b71c1c",
            "fillOpacity": 0.08,
        },
        screening=True,
        locate=True,
        map_layer=True,
    ),
    LayerSpec(
        name="nature_reserve_zones",
        dataset_key="reserve_zones",
        table="nature_reserve_zone",
        role="nature_reserve_zone",
        geometry_type="MultiPolygon",
        geometry_column="geom",
        key=("reserve_code", "zone"),
        fields=(
            FieldSpec("reserve_code", "string", "Reserve code"),
            FieldSpec("reserve_name_zh", "string", "Reserve name (zh)"),
            FieldSpec("reserve_name_en", "string", "Reserve name (en)"),
            FieldSpec("reserve_level", "string", "Reserve level"),
            FieldSpec("zone", "string", "Zone", enum=True),
            _AREA,
        ),
        label_zh="自然保护区功能区",
        label_en="Nature-reserve zones",
        description="Core, buffer and experimental zones of the nature reserves.",
        style={"weight": 2, "fillOpacity": 0.15, "dashArray": "2 4"},
        style_by="zone",
        screening=True,
        locate=True,
        map_layer=True,
        name_field="reserve_name_zh",
    ),
    LayerSpec(
        name="monitoring_points",
        dataset_key="monitoring_points",
        table="monitoring_point",
        role="monitoring_point",
        geometry_type="Point",
        geometry_column="geom",
        key=("code",),
        fields=(
            FieldSpec("code", "string", "Point code"),
            FieldSpec("name_zh", "string", "Name (zh)"),
            FieldSpec("kind", "string", "Kind", enum=True),
            FieldSpec("level", "string", "Level", enum=True),
            FieldSpec("subtype", "string", "Subtype"),
            FieldSpec("division_code", "string", "County-level division code"),
        ),
        label_zh="生态环境监测点位",
        label_en="Monitoring points",
        description="Surface-water, air, groundwater, rural non-point and noise monitoring points.",
        style_by="kind",
        screening=True,
        locate=True,
    ),
    LayerSpec(
        name="industrial_parks",
        dataset_key="industrial_parks",
        table="industrial_park",
        role="industrial_park",
        geometry_type="MultiPolygon",
        geometry_column="geom",
        key=("code",),
        fields=(
            FieldSpec("code", "string", "Park code"),
            FieldSpec("name_zh", "string", "Name (zh)"),
            FieldSpec("name_en", "string", "Name (en)"),
            FieldSpec("level", "string", "Level (national 国家级 / provincial 省级)", enum=True),
            FieldSpec("recognised_chemical_park", "boolean", "Recognised chemical park 认定化工园区"),
            FieldSpec("industry_codes", "array", "Leading industries (GB/T 4754-2017 codes)"),
            FieldSpec("unit_codes", "array", "Control units the park lies in"),
            _AREA,
        ),
        label_zh="开发区/工业园区",
        label_en="Industrial parks",
        description="Development zones and industrial parks with their level, whether they are a "
        "recognised chemical park (认定化工园区) and their leading industries as GB/T 4754 codes.",
        style={
            "color": "#5e35b1",
            "weight": 2,
            "dashArray": "4 2",
            "fillColor": "#5e35b1",
            "fillOpacity": 0.1,
        },
        style_by="recognised_chemical_park",
        locate=True,
        map_layer=True,
    ),
    LayerSpec(
        name="admin_divisions",
        dataset_key="divisions",
        table="admin_division",
        role="admin_division",
        geometry_type="MultiPolygon",
        geometry_column="geom",
        key=("code",),
        fields=(
            FieldSpec("code", "string", "Division code"),
            FieldSpec("name_zh", "string", "Name (zh)"),
            FieldSpec("name_en", "string", "Name (en)"),
            FieldSpec("level", "string", "Level", enum=True),
            FieldSpec("parent_code", "string", "Parent division code"),
        ),
        label_zh="行政区划",
        label_en="Administrative divisions",
        description="The city, its county-level divisions and development zones.",
        style={"color": "#37474f", "weight": 1.6, "fill": False, "dashArray": "8 4 2 4"},
        locate=True,
        map_layer=True,
    ),
)
"""Every layer kind, in the order catalogues and reports list them."""

CONTEXT_LAYERS: tuple[tuple[str, str, str], ...] = (
    ("lakes", "湖泊水库", "Lakes and reservoirs"),
    ("rivers", "主要河流", "Main rivers"),
)
"""Base-map context (``context.geojson``): drawn under the zoning, never screened or published."""

_BY_NAME = {spec.name: spec for spec in LAYERS}
_BY_DATASET_KEY = {spec.dataset_key: spec for spec in LAYERS}


def get(name: str) -> LayerSpec:
    """The layer of this name; ``KeyError`` for an unknown one."""
    return _BY_NAME[name]


def by_dataset_key(key: str) -> LayerSpec:
    """The layer stored under this dataset key (``units``, ``water_zones``…)."""
    return _BY_DATASET_KEY[key]


def screened() -> Iterator[LayerSpec]:
    """The layers screening reads, in report order."""
    return (spec for spec in LAYERS if spec.screening)


def located() -> Iterator[LayerSpec]:
    """The layers point location answers with."""
    return (spec for spec in LAYERS if spec.locate)
