"""Archive safety of zoning.archives, shared by footprint uploads and imports (no database, no HTTP).

Expectations come from the archive itself: a member name with ``..`` or a leading ``/`` leaves the
folder it is unpacked into (path traversal, CWE-22); an entry of zeros expands by far more than
:attr:`UploadLimits.max_ratio` (a zip bomb); the entry count and declared sizes are read from the
central directory.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from zoning.archives import UploadLimits, check_zip_entries, unpacked
from zoning.errors import InvalidInput


def _zip(entries: dict[str, bytes]) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def _first_error(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, object]:
    errors = exc.value.extra["report"]["errors"]
    assert len(errors) == 1
    return errors[0]


@pytest.mark.parametrize("name", ["../evil.shp", "a/../../evil.shp", "/etc/passwd", "C:/x.shp"])
def test_entry_leaving_the_folder_is_refused_by_name(name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_zip_entries(_zip({name: b"x"}), UploadLimits(), "upload.zip")
    error = _first_error(exc)
    assert error["code"] == "unsafe_path"
    assert error["key"] == name


def test_zip_bomb_entry_is_refused_by_its_ratio() -> None:
    # 4 MiB of zeros deflate to a few KiB: far above 100×, and above the 1 MiB ratio floor.
    with pytest.raises(InvalidInput) as exc:
        check_zip_entries(_zip({"big.dbf": bytes(4 * 1024 * 1024)}), UploadLimits(), "upload.zip")
    error = _first_error(exc)
    assert error["code"] == "zip_bomb"
    assert error["key"] == "big.dbf"


def test_entry_count_and_declared_size_are_limited() -> None:
    three = _zip({"a.shp": b"1", "a.shx": b"2", "a.dbf": b"3"})
    with pytest.raises(InvalidInput) as exc:
        check_zip_entries(three, UploadLimits(max_entries=2), "upload.zip")
    assert _first_error(exc)["code"] == "too_many_entries"
    with pytest.raises(InvalidInput) as exc:
        check_zip_entries(_zip({"a.dbf": b"x" * 100}), UploadLimits(max_total_bytes=99), "upload.zip")
    assert _first_error(exc)["code"] == "too_large"


def test_a_sound_archive_is_listed_and_unpacked(tmp_path: Path) -> None:
    source = tmp_path / "bundle.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layers/units.geojson", '{"type": "FeatureCollection", "features": []}')
    with zipfile.ZipFile(source) as zf:
        assert [i.filename for i in check_zip_entries(zf, UploadLimits(), "bundle.zip")] == [
            "layers/units.geojson"
        ]
    with unpacked(source) as folder:
        assert (folder / "layers" / "units.geojson").read_text() == (
            '{"type": "FeatureCollection", "features": []}'
        )
    assert not folder.exists()  # the temporary copy is removed


def test_a_missing_bundle_names_the_field_and_fetches_nothing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc, unpacked(tmp_path / "https:" / "example.org" / "b.zip"):
        pass
    assert exc.value.field == "bundle"
