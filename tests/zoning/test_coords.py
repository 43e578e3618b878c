"""GCJ-02 / BD-09 conversions of zoning.coords."""

from __future__ import annotations

import numpy as np

from zoning.coords import bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02


def test_gcj02_reference_offset_beijing() -> None:
    # Tiananmen, WGS84 (116.397, 39.908): the published GCJ-02 offset is about +0.0062° lon, +0.0014° lat
    lon, lat = wgs84_to_gcj02(116.397, 39.908)
    assert abs(float(lon) - 116.397 - 0.00624) < 1e-4
    assert abs(float(lat) - 39.908 - 0.00140) < 1e-4


def test_gcj02_round_trip_nanchang_grid() -> None:
    lon, lat = np.meshgrid(np.linspace(115.4, 116.6, 25), np.linspace(28.1, 29.2, 25))
    glon, glat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert np.max(np.abs(back_lon - lon)) < 1e-7
    assert np.max(np.abs(back_lat - lat)) < 1e-7
    # the offset near Nanchang is a few hundred metres east and south-ish, never zero
    assert np.all(glon - lon > 0.003)


def test_bd09_round_trip() -> None:
    lon, lat = np.array([115.89, 116.2]), np.array([28.68, 28.4])
    blon, blat = gcj02_to_bd09(lon, lat)
    glon, glat = bd09_to_gcj02(blon, blat)
    assert np.max(np.abs(glon - lon)) < 1e-5 and np.max(np.abs(glat - lat)) < 1e-5
    assert np.all(blon - lon > 0.005)


def test_scalar_input_works() -> None:
    lon, _lat = gcj02_to_wgs84(115.9, 28.68)
    assert np.ndim(lon) == 0 and 115.89 < float(lon) < 115.9
