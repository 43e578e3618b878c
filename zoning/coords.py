"""Conversions between WGS84/CGCS2000 and the offset datums of Chinese web maps.

GCJ-02 ("Mars coordinates", used by Amap and Tencent) is WGS84 plus a deterministic, non-linear
offset of a few hundred metres; BD-09 (Baidu) is a further rotation/scaling of GCJ-02. The forward
GCJ-02 transform is the widely published one (Krasovsky 1940 ellipsoid constants); its inverse has
no closed form, so :func:`gcj02_to_wgs84` inverts it by fixed-point iteration to better than 1e-7°.

CGCS2000 and WGS84 agree to a few centimetres, far below the accuracy of any of these offsets, so the
WGS84 functions serve CGCS2000 (EPSG:4490) input as well.

All functions are pure, vectorised over numpy arrays (scalars work too) and return ``(lon, lat)``.
Points outside mainland China are offset like any other point: callers decide whether that applies.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

_A = 6378245.0  # semi-major axis of Krasovsky 1940, as used by the GCJ-02 algorithm
_EE = 0.00669342162296594323  # first eccentricity squared of Krasovsky 1940
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 rotation constant


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS84 position (lon, lat)."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 (or CGCS2000) lon/lat in degrees to GCJ-02 by the standard forward formula."""
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _gcj02_offset(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-9, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to WGS84 by fixed-point iteration of the forward transform.

    Starting from the GCJ-02 position, each step corrects the estimate by the residual
    ``forward(estimate) - target``. The offset field is smooth and its gradient tiny, so the
    iteration contracts fast: four or five steps reach ``tol`` (default 1e-9°, far below the
    1e-7° the bundled dataset needs).
    """
    glon, glat = _as_arrays(lon, lat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        rlon, rlat = flon - glon, flat - glat
        wlon = wlon - rlon
        wlat = wlat - rlat
        if float(np.max(np.abs(rlon), initial=0.0)) < tol and float(np.max(np.abs(rlat), initial=0.0)) < tol:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to Baidu BD-09 lon/lat."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 lon/lat to GCJ-02 lon/lat (the usual closed-form inverse, ~1e-6° exact)."""
    bx, by = _as_arrays(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 (or CGCS2000) lon/lat to BD-09 via GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 lon/lat to WGS84 via GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
