"""Bulk screening outputs: per-partition counts, the summary, and the final file (written atomically).

Formats: Parquet (default; a dataset folder of one file per partition, strings dictionary-encoded;
a single file when asked through the API),
CSV (UTF-8 with BOM, so that Excel shows the Chinese names), GeoPackage (points in EPSG:4490) and
Excel ``.xlsx`` (at most 1,048,575 rows, the sheet limit).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from zoning.bulk import ERROR_CODES, OUTPUT_SCHEMA
from zoning.errors import InvalidInput
from zoning.snapshot import ZoningSnapshot

OUTPUT_FORMATS = ("parquet", "csv", "gpkg", "xlsx")
MEDIA_TYPES = {
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_575


def check_format(fmt: str) -> None:
    """Refuse an output format other than the four written here, naming ``format``."""
    if fmt not in OUTPUT_FORMATS:
        raise InvalidInput(f"format={fmt!r}: expected one of {', '.join(OUTPUT_FORMATS)}", field="format")


def _dictionary_chunks(column: pa.ChunkedArray | pa.Array) -> Iterable[tuple[list[Any], np.ndarray]]:
    """(dictionary values, index per non-null row) of each chunk of a column (encoded if it is not)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
        indices = encoded.indices.drop_null().to_numpy(zero_copy_only=False)
        yield encoded.dictionary.cast(pa.string()).to_pylist(), indices


def _tally(column: pa.ChunkedArray | pa.Array) -> dict[str, int]:
    """Rows per value (nulls not counted), from the dictionary indices: no string per row."""
    out: Counter[str] = Counter()
    for values, indices in _dictionary_chunks(column):
        for value, count in zip(values, np.bincount(indices, minlength=len(values)).tolist(), strict=True):
            if count:
                out[str(value)] += count
    return dict(out)


def _nonempty(column: pa.ChunkedArray | pa.Array) -> int:
    """Rows holding a non-empty string."""
    total = 0
    for values, indices in _dictionary_chunks(column):
        filled = np.array([bool(v) for v in values] + [False], dtype=bool)
        total += int(np.count_nonzero(filled[indices]))
    return total


def counts(table: pa.Table) -> dict[str, Any]:
    """A partition's contribution to the summary."""
    return {
        "by_class": _tally(table.column("unit_class")),
        "by_verdict": _tally(table.column("verdict")),
        "by_error": _tally(table.column("error")),
        "in_water_protection_zone": _nonempty(table.column("water_protection_zones")),
        "in_ecological_redline": _nonempty(table.column("ecological_redline")),
        "in_nature_reserve_zone": _nonempty(table.column("nature_reserve_zones")),
    }


def summary(
    parts: Iterable[dict[str, Any]], snapshot: ZoningSnapshot, job_id: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Counts by control class, by verdict, by error, rows in protected zones; the dataset used."""
    by: dict[str, Counter[str]] = {k: Counter() for k in ("by_class", "by_verdict", "by_error")}
    zones: Counter[str] = Counter()
    rows = 0
    for part in parts:
        rows += part["rows"]
        for k in by:
            by[k].update(part[k])
        for k in ("in_water_protection_zone", "in_ecological_redline", "in_nature_reserve_zone"):
            zones[k] += part[k]
    version = snapshot.version
    return {
        "job_id": job_id,
        "rows": rows,
        "rows_error": sum(by["by_error"].values()),
        **{k: dict(sorted(v.items())) for k, v in by.items()},
        "in_protected_zones": dict(zones),
        "error_codes": ERROR_CODES,
        "dataset": {
            "id": version.id,
            "label": version.label,
            "checksum": version.checksum,
            "effective_from": version.effective_from.isoformat() if version.effective_from else None,
            "reconstruction": version.reconstruction,
        },
        "options": options,
    }


def part_paths(parts_dir: Path, n: int) -> list[Path]:
    """The part files of a job's partitions, in partition order."""
    return [parts_dir / f"part-{i:05d}.parquet" for i in range(n)]


def _parts(paths: list[Path]) -> Iterable[pa.Table]:
    for path in paths:
        yield pq.read_table(path).cast(OUTPUT_SCHEMA)


def _plain(table: pa.Table) -> pa.Table:
    return table.cast(
        pa.schema(
            [
                pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                for f in table.schema
            ]
        )
    )


def publish_dataset(parts_dir: Path, output: Path, summary: dict[str, Any]) -> None:
    """Make a job's parts the Parquet result: a dataset folder renamed into place atomically.

    Every Parquet reader (pyarrow, pandas, GeoPandas, DuckDB, Spark, GDAL) reads the folder as
    one table; rows keep the input's order (part files sort by partition number). The dataset
    version travels in ``_summary.json`` inside the folder and in the job record.
    """
    for stale in parts_dir.glob(".part-*.tmp-*"):  # left by a worker killed mid-write
        stale.unlink()
    (parts_dir / "_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    if output.is_dir():
        shutil.rmtree(output)
    elif output.exists():
        output.unlink()
    os.replace(parts_dir, output)


def dataset_paths(output: Path) -> list[Path]:
    """The part files of a Parquet result folder, in order (or the file itself)."""
    return sorted(output.glob("part-*.parquet")) if output.is_dir() else [output]


def assemble(paths: list[Path], output: Path, fmt: str, summary: dict[str, Any]) -> None:
    """Concatenate Parquet parts, in order, into ``output`` — written under a temporary name."""
    check_format(fmt)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    if fmt == "parquet":
        meta = {
            b"zoning:bulk": json.dumps(
                {k: summary[k] for k in ("job_id", "dataset")}, ensure_ascii=False
            ).encode()
        }
        with pq.ParquetWriter(tmp, OUTPUT_SCHEMA.with_metadata(meta), compression="snappy") as writer:
            for table in _parts(paths):
                writer.write_table(table)
    elif fmt == "csv":
        with tmp.open("wb") as f:
            f.write("\ufeff".encode())
            writer = None
            for table in _parts(paths):
                plain = _plain(table)
                if writer is None:
                    writer = pacsv.CSVWriter(f, plain.schema)
                writer.write_table(plain)
            if writer is not None:
                writer.close()
    elif fmt == "gpkg":
        _write_gpkg(paths, tmp)
    else:
        _write_xlsx(paths, tmp, summary)
    os.replace(tmp, output)


def _write_gpkg(paths: list[Path], tmp: Path) -> None:
    import geopandas as gpd

    tmp.unlink(missing_ok=True)
    for i, table in enumerate(_parts(paths)):
        frame = _plain(table).to_pandas()
        points = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4490")
        gpd.GeoDataFrame(frame, geometry=points).to_file(
            tmp, driver="GPKG", layer="bulk_screening", mode="w" if i == 0 else "a"
        )


def _write_xlsx(paths: list[Path], tmp: Path, summary: dict[str, Any]) -> None:
    from openpyxl import Workbook

    if summary["rows"] > XLSX_MAX_ROWS:
        raise InvalidInput(
            f"{summary['rows']} rows do not fit one Excel sheet ({XLSX_MAX_ROWS}); use parquet or csv",
            field="format",
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("screening")
    sheet.append([f.name for f in OUTPUT_SCHEMA])
    for table in _parts(paths):
        for row in _plain(table).to_pylist():
            sheet.append(list(row.values()))
    info = book.create_sheet("summary")
    for key, value in summary.items():
        info.append([key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value])
    book.save(tmp)
