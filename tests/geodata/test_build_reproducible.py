"""Rebuilding the dataset reproduces the committed files byte for byte (about 5 s)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from geodata.nanchang.build import DATA_DIR, main


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert main(["--out", str(out), "--quiet"]) == 0
    committed = sorted(p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*") if p.is_file())
    rebuilt = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert rebuilt == committed
    for rel in committed:
        assert (out / rel).read_bytes() == (DATA_DIR / rel).read_bytes(), rel
    for line in (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        assert hashlib.sha256((DATA_DIR / rel).read_bytes()).hexdigest() == digest
