"""Reading a file of sites in partitions: CSV (UTF-8 / GB18030), Parquet / GeoParquet, GeoPackage,
zipped shapefile, Excel ``.xlsx``.

Parquet is read where it lies, by row groups. Every other format is streamed once into a staging
Parquet file (one row group per partition, coordinates kept as text so that a bad cell fails its
row, not the file) — never whole into memory. Geometry columns travel as WKB with their CRS.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from zoning.crs import InputCrs, resolve_crs
from zoning.errors import InvalidInput
from zoning.footprint.transform import crs_from_pyproj

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".xlsx": "xlsx",
}
DEFAULT_PARTITION_ROWS = 1_000_000
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")


@dataclass(frozen=True)
class Partition:
    """Rows ``[offset, offset + rows)`` of the input, stored as these row groups of ``path``."""

    index: int
    path: str
    row_groups: tuple[int, ...]
    offset: int
    rows: int


@dataclass(frozen=True)
class StagedInput:
    """An input ready to be screened partition by partition."""

    path: str
    columns: list[str]
    rows: int
    partitions: list[Partition]
    geometry_column: str | None = None
    geometry_crs: InputCrs | None = None
    notes: list[str] = field(default_factory=list)


def input_format(path: Path) -> str:
    """The input format from the file name; ``InvalidInput`` naming ``input`` for anything else."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"{path.name}: expected one of {', '.join(sorted(FORMATS))}", field="input")
    return kind


def checksum(path: Path) -> str:
    """sha256 of the input file, read in 8 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def _partitions(path: Path, partition_rows: int) -> list[Partition]:
    """Consecutive row groups gathered into partitions of about ``partition_rows`` rows."""
    meta = pq.ParquetFile(path).metadata
    out: list[Partition] = []
    groups: list[int] = []
    rows = offset = 0
    for g in range(meta.num_row_groups):
        groups.append(g)
        rows += meta.row_group(g).num_rows
        if rows >= partition_rows:
            out.append(Partition(len(out), str(path), tuple(groups), offset, rows))
            offset += rows
            groups, rows = [], 0
    if groups:
        out.append(Partition(len(out), str(path), tuple(groups), offset, rows))
    return out


def _write_stage(batches: Iterator[pa.Table], target: Path, partition_rows: int) -> None:
    """Write tables as a staging Parquet with one row group per partition, atomically."""
    tmp = target.with_suffix(".tmp")
    writer: pq.ParquetWriter | None = None
    pending: list[pa.Table] = []
    pending_rows = 0

    def flush(tables: list[pa.Table]) -> None:
        nonlocal writer
        table = pa.concat_tables(tables, promote_options="permissive")
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table.cast(writer.schema), row_group_size=partition_rows)

    for batch in batches:
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= partition_rows:
            whole = pa.concat_tables(pending, promote_options="permissive")
            flush([whole.slice(0, partition_rows)])
            rest = whole.slice(partition_rows)
            pending, pending_rows = [rest], rest.num_rows
    if pending_rows or writer is None:
        flush(pending or [pa.table({})])
    if writer is not None:
        writer.close()
    os.replace(tmp, target)


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the head decodes as such, else GB18030 (国标 superset of GBK)."""
    head = path.open("rb").read(1 << 20)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the block end
            return "gb18030"
    return "utf8"


def _csv_batches(path: Path) -> Iterator[pa.Table]:
    encoding = _encoding(path)
    read = pacsv.ReadOptions(encoding=encoding, block_size=8 << 20)
    header = pacsv.open_csv(path, read_options=read).schema.names
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True)
    try:
        reader = pacsv.open_csv(path, read_options=read, convert_options=convert)
        for batch in reader:
            yield pa.Table.from_batches([batch])
    except pa.ArrowInvalid as exc:
        raise InvalidInput(f"{path.name}: the CSV cannot be read: {exc}", field="input") from None


def _xlsx_batches(path: Path, batch_rows: int = 100_000) -> Iterator[pa.Table]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else f"column_{i}" for i, h in enumerate(next(rows, ()))]
    if not header:
        raise InvalidInput(f"{path.name}: the first sheet has no header row", field="input")
    chunk: list[tuple[object, ...]] = []

    def table(chunk: list[tuple[object, ...]]) -> pa.Table:
        cols = list(zip(*chunk, strict=False)) if chunk else [() for _ in header]
        return pa.table(
            {
                h: pa.array(
                    [None if v is None else str(v) for v in (cols[i] if i < len(cols) else ())], pa.string()
                )
                for i, h in enumerate(header)
            }
        )

    for row in rows:
        row = tuple(row) + (None,) * (len(header) - len(row))
        chunk.append(row[: len(header)])
        if len(chunk) >= batch_rows:
            yield table(chunk)
            chunk = []
    if chunk:
        yield table(chunk)
    book.close()


def _ogr_batches(source: str) -> tuple[Iterator[pa.Table], InputCrs | None]:
    import pyogrio

    info = pyogrio.read_info(source)
    crs = crs_from_pyproj(info["crs"], source="the layer") if info.get("crs") else None

    def batches() -> Iterator[pa.Table]:
        with pyogrio.open_arrow(source, batch_size=100_000, use_pyarrow=True) as (meta, reader):
            geometry_name = meta.get("geometry_name") or "wkb_geometry"
            for batch in reader:
                table = pa.Table.from_batches([batch])
                names = ["geometry" if n == geometry_name else n for n in table.column_names]
                yield table.rename_columns(names)

    return batches(), crs


def stage(
    path: Path,
    work_dir: Path,
    *,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    geometry_column: str | None = None,
) -> StagedInput:
    """Plan an input's partitions, staging it as Parquet first unless it is Parquet already."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="input")
    kind = input_format(path)
    work_dir.mkdir(parents=True, exist_ok=True)
    geometry_crs: InputCrs | None = None
    if kind == "parquet":
        staged = path
        meta = pq.ParquetFile(path).schema_arrow.metadata or {}
        if b"geo" in meta:
            geo = json.loads(meta[b"geo"])
            geometry_column = geometry_column or geo.get("primary_column")
            crs_def = geo.get("columns", {}).get(geometry_column, {}).get("crs")
            geometry_crs = (
                crs_from_pyproj(json.dumps(crs_def), source="the GeoParquet metadata")
                if crs_def
                else resolve_crs(None)
            )
    else:
        staged = work_dir / "staged.parquet"
        if not staged.exists():
            if kind == "csv":
                _write_stage(_csv_batches(path), staged, partition_rows)
            elif kind == "xlsx":
                _write_stage(_xlsx_batches(path), staged, partition_rows)
            else:
                source = str(path)
                if kind == "shapefile":
                    with zipfile.ZipFile(path) as z:
                        shp = [n for n in z.namelist() if n.lower().endswith(".shp")]
                    if len(shp) != 1:
                        raise InvalidInput(f"{path.name}: the zip must hold exactly one .shp", field="input")
                    source = f"/vsizip/{path}/{shp[0]}"
                batches, _ = _ogr_batches(source)
                _write_stage(batches, staged, partition_rows)
        if kind in ("gpkg", "shapefile"):
            source = (
                str(path)
                if kind == "gpkg"
                else f"/vsizip/{path}/{next(n for n in zipfile.ZipFile(path).namelist() if n.lower().endswith('.shp'))}"
            )
            _, geometry_crs = _ogr_batches(source)
            geometry_column = geometry_column or "geometry"
    schema = pq.ParquetFile(staged).schema_arrow
    return StagedInput(
        path=str(staged),
        columns=list(schema.names),
        rows=pq.ParquetFile(staged).metadata.num_rows,
        partitions=_partitions(staged, partition_rows),
        geometry_column=geometry_column,
        geometry_crs=geometry_crs,
    )


def pick_column(
    columns: list[str], given: str | None, names: tuple[str, ...], what: str, option: str
) -> str | None:
    """The column the caller named (checked), else the first conventional name present."""
    if given is not None:
        if given not in columns:
            raise InvalidInput(
                f"{option}={given!r}: no such column (columns: {', '.join(columns)})", field=option
            )
        return given
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None
