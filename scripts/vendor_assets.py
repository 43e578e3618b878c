"""Fetch the map pages' browser assets from the npm registry into ``app/static/vendor/``.

The map pages must work on a government intranet with no internet, so every script, stylesheet,
font and icon they use is served by the app itself. This script is run at build time (not by the
service): for each pinned package it runs ``npm pack NAME@VERSION`` in a temporary folder, extracts
only the minified dist files the pages use (no sources, no source maps), keeps the package's
licence, and writes ``app/static/vendor/MANIFEST.json`` with versions, tarball integrity and the
sha256 of every file kept. Re-running it reproduces the folder byte for byte.

    python scripts/vendor_assets.py            # fetch and write
    python scripts/vendor_assets.py --check    # verify the committed files against MANIFEST.json
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "app" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    folder: str
    files: tuple[str, ...]  # glob patterns inside the tarball's ``package/`` folder
    licence: str  # SPDX id, for packages whose tarball carries no licence file
    used_for: str


PACKAGES: tuple[Package, ...] = (
    Package(
        "leaflet",
        "1.9.4",
        "leaflet",
        ("dist/leaflet.js", "dist/leaflet.css", "dist/images/*.png"),
        "BSD-2-Clause",
        "the map",
    ),
    Package(
        "leaflet.markercluster",
        "1.5.3",
        "leaflet.markercluster",
        ("dist/leaflet.markercluster.js", "dist/MarkerCluster.css", "dist/MarkerCluster.Default.css"),
        "MIT",
        "clustered monitoring points",
    ),
    Package(
        "leaflet-draw",
        "1.0.4",
        "leaflet-draw",
        ("dist/leaflet.draw.js", "dist/leaflet.draw.css", "dist/images/spritesheet*"),
        "MIT",
        "drawing a project footprint",
    ),
    # What Folium's own templates pull by default (folium.Map.default_js / default_css); served so
    # that any Folium element (awesome-marker icons, Bootstrap popovers) also works offline.
    Package("jquery", "3.7.1", "jquery", ("dist/jquery.min.js",), "MIT", "Folium default"),
    Package(
        "bootstrap",
        "5.2.2",
        "bootstrap",
        ("dist/js/bootstrap.bundle.min.js", "dist/css/bootstrap.min.css"),
        "MIT",
        "Folium default",
    ),
    Package(
        "@fortawesome/fontawesome-free",
        "6.2.0",
        "fontawesome-free",
        ("css/all.min.css", "webfonts/*.woff2"),
        "CC-BY-4.0 AND OFL-1.1 AND MIT",
        "Folium default (awesome-marker icons); woff2 only, every current browser reads it",
    ),
    Package(
        "leaflet.awesome-markers",
        "2.0.5",
        "leaflet.awesome-markers",
        (
            "dist/leaflet.awesome-markers.min.js",
            "dist/leaflet.awesome-markers.css",
            "dist/images/markers-soft.png",
            "dist/images/markers-shadow.png",
        ),
        "MIT",
        "Folium default (marker icons)",
    ),
)

LICENCE_PATTERNS = ("LICEN[CS]E*", "MIT-LICEN[CS]E*", "COPYING*")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_pack(spec: str, into: Path) -> tuple[Path, dict]:
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--silent"], cwd=into, check=True, capture_output=True, text=True
    ).stdout
    info = json.loads(out)[0]
    return into / info["filename"], info


def extract(pkg: Package, tarball: Path, dest: Path) -> list[str]:
    kept: list[str] = []
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            rel = member.name[len("package/") :]
            top_level = "/" not in rel
            wanted = any(fnmatch.fnmatch(rel, p) for p in pkg.files) or (
                top_level and any(fnmatch.fnmatch(rel, p) for p in LICENCE_PATTERNS)
            )
            if not wanted or rel.endswith(".map"):
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            assert src is not None
            target.write_bytes(src.read())
            kept.append(rel)
    return sorted(kept)


def fetch() -> None:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    manifest: dict = {
        "about": "Browser assets of the map pages, fetched from the npm registry by scripts/vendor_assets.py",
        "packages": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in PACKAGES:
            tarball, info = npm_pack(f"{pkg.name}@{pkg.version}", Path(tmp))
            dest = VENDOR / pkg.folder
            kept = extract(pkg, tarball, dest)
            missing = [p for p in pkg.files if not any(fnmatch.fnmatch(k, p) for k in kept)]
            if missing:
                sys.exit(f"{pkg.name}@{pkg.version}: nothing matched {missing}")
            if not any(any(fnmatch.fnmatch(k, p) for p in LICENCE_PATTERNS) for k in kept):
                # The tarball ships no licence file; record the licence package.json declares.
                (dest / "LICENSE.txt").write_text(
                    f"{pkg.name}@{pkg.version} is licensed {info.get('license') or pkg.licence} "
                    f"(package.json of the npm tarball, which ships no licence file).\n",
                    encoding="utf-8",
                )
                kept.append("LICENSE.txt")
            manifest["packages"].append(
                {
                    "name": pkg.name,
                    "version": pkg.version,
                    "licence": pkg.licence,
                    "folder": pkg.folder,
                    "used_for": pkg.used_for,
                    "tarball_integrity": info.get("integrity"),
                    "files": {k: sha256(dest / k) for k in sorted(kept)},
                }
            )
            print(f"{pkg.name}@{pkg.version}: {len(kept)} files")
    (VENDOR / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"app/static/vendor: {total / 1024:.0f} KiB")


def check() -> int:
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    bad = 0
    for pkg in manifest["packages"]:
        for rel, digest in pkg["files"].items():
            path = VENDOR / pkg["folder"] / rel
            if not path.is_file() or sha256(path) != digest:
                print(f"mismatch: {path}")
                bad += 1
    print("ok" if not bad else f"{bad} files differ")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify files against MANIFEST.json")
    args = parser.parse_args()
    if args.check:
        return check()
    fetch()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
