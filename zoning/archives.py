"""Archive safety for every upload and import: zip bombs, path traversal, symbolic links, entry
count and total size are checked from the archive directory before anything is read, and the
bytes actually written are counted while unpacking (a forged header may understate a size).

Used by the importer (:func:`unpacked`) and by footprint uploads (:func:`check_zip_entries`).
Nothing here fetches a URL."""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zoning.errors import InvalidInput
from zoning.validation_report import ValidationReport, refuse


@dataclass(frozen=True)
class UploadLimits:
    """Limits on an uploaded archive, checked before anything is unpacked and while unpacking."""

    max_total_bytes: int = 512 * 1024 * 1024
    max_entries: int = 1000
    max_ratio: float = 100.0
    """Uncompressed/compressed size of one entry; shapefile tables compress ~10–30×, bombs ≫ 100×."""
    ratio_min_bytes: int = 1024 * 1024
    """Entries smaller than this are not ratio-checked (tiny files compress by any ratio)."""
    max_depth: int = 2
    """Zips inside the bundle (zipped shapefile sets) are unpacked this deep at most."""


def _unsafe_name(name: str) -> str | None:
    """Why an archive entry name would escape the folder it is unpacked into, or None."""
    if "\x00" in name:
        return "contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "is an absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "climbs out of the archive with '..'"
    return None


def check_zip_entries(
    zf: zipfile.ZipFile, limits: UploadLimits, label: str, max_total: int | None = None
) -> list[zipfile.ZipInfo]:
    """Check an archive's directory before anything is read from it: entry count, names that would
    escape the folder (path traversal), symbolic links, per-entry compression ratio (zip bombs) and
    the declared total size. Raises InvalidInput with a report naming the offending entry."""

    def fail(code: str, entry: str, message: str) -> InvalidInput:
        report = ValidationReport()
        report.error(code, message, key=entry)
        return refuse(report)

    budget = limits.max_total_bytes if max_total is None else max_total
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise fail(
            "too_many_entries",
            label,
            f"{label} holds {len(infos)} entries; at most {limits.max_entries} are accepted",
        )
    for info in infos:
        why = _unsafe_name(info.filename)
        if why:
            raise fail(
                "unsafe_path", info.filename, f"entry {info.filename!r} {why}: refused (path traversal)"
            )
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise fail("unsafe_path", info.filename, f"entry {info.filename!r} is a symbolic link: refused")
        if info.file_size >= limits.ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise fail(
                    "zip_bomb",
                    info.filename,
                    f"entry {info.filename!r} expands {ratio:.0f}× ({info.file_size} bytes from "
                    f"{info.compress_size}); at most {limits.max_ratio:.0f}× is accepted",
                )
    declared = sum(i.file_size for i in infos)
    if declared > budget:
        raise fail(
            "too_large",
            label,
            f"{label} expands to {declared} bytes; at most "
            f"{limits.max_total_bytes} bytes are accepted in all",
        )
    return infos


def _safe_unzip(archive: Path, dest: Path, limits: UploadLimits, budget: list[int], label: str) -> None:
    """Unpack a zip into ``dest`` within the limits; raise with a report naming the offending entry."""

    def fail(code: str, entry: str, message: str) -> InvalidInput:
        report = ValidationReport()
        report.error(code, message, key=entry)
        return refuse(report)

    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail("bad_archive", label, f"{label} is not a readable zip archive: {exc}") from exc
    with zf:
        infos = check_zip_entries(zf, limits, label, budget[0])
        for info in infos:
            if info.is_dir():
                continue
            target = dest / info.filename.replace("\\", "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            # Count the bytes actually written: a forged header may understate the size.
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 16):
                    budget[0] -= len(chunk)
                    if budget[0] < 0:
                        raise fail(
                            "too_large",
                            info.filename,
                            f"entry {info.filename!r} takes the bundle past {limits.max_total_bytes} bytes",
                        )
                    out.write(chunk)


BARE_FILE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
"""Files taken as a bundle by themselves, as offices hand them over (a .shp with its siblings)."""


def _copy_bare(source: Path, dest: Path, limits: UploadLimits) -> None:
    """Copy one layer file into ``dest`` — a shapefile with every sibling of its name (.shx, .dbf,
    .prj, .cpg …) — within the size limit."""
    if source.suffix.lower() == ".shp":
        files = [p for p in source.parent.iterdir() if p.is_file() and p.stem.lower() == source.stem.lower()]
    else:
        files = [source]
    total = sum(p.stat().st_size for p in files)
    if total > limits.max_total_bytes:
        report = ValidationReport()
        report.error(
            "too_large", f"{source.name} is larger than {limits.max_total_bytes} bytes", key=source.name
        )
        raise refuse(report)
    for path in files:
        shutil.copyfile(path, dest / path.name)


@contextmanager
def unpacked(source: Path, limits: UploadLimits | None = None) -> Iterator[Path]:
    """The bundle as a folder: itself when it is one, a folder holding the file when it is a bare
    .gpkg, .geojson or .shp (with its siblings), else a temporary unpacked copy of the zip."""
    limits = limits or UploadLimits()
    if source.is_dir():
        yield source
        return
    if not source.exists():
        raise InvalidInput(
            f"{source} does not exist (a bundle is a local folder, .zip, .gpkg, .geojson or .shp; "
            "URLs are not fetched)",
            field="bundle",
        )
    tmp = Path(tempfile.mkdtemp(prefix="zoning-import-"))
    try:
        budget = [limits.max_total_bytes]
        if source.suffix.lower() in BARE_FILE_SUFFIXES:
            _copy_bare(source, tmp, limits)
            yield tmp
            return
        _safe_unzip(source, tmp, limits, budget, source.name)
        # Zipped shapefile sets inside the bundle, one level down (or as deep as allowed).
        for _depth in range(1, limits.max_depth):
            inner = [p for p in tmp.rglob("*") if p.is_file() and p.suffix.lower() == ".zip"]
            if not inner:
                break
            for z in inner:
                _safe_unzip(z, z.with_suffix(""), limits, budget, z.relative_to(tmp).as_posix())
                z.unlink()
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
