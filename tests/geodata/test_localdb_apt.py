"""``zoning db up`` and apt: waits for the dpkg lock with a message, fails in one clear line.

apt-get itself is replaced by a script (the tests run without root and must not install
anything); the lock is a real fcntl lock on a file, held by another process as apt holds
``/var/lib/dpkg/lock-frontend``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from geodata import localdb

LOCKED = (
    "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n"
    "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n"
)


def _fake_apt(tmp_path: Path, stderr: str, code: int) -> Path:
    script = tmp_path / "apt-get"
    args = tmp_path / "args"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {args}\nprintf '%s' '{stderr}' >&2\nexit {code}\n")
    script.chmod(0o755)
    return script


def test_an_apt_failure_is_one_line(tmp_path: Path) -> None:
    apt = _fake_apt(tmp_path, LOCKED, 100)
    with pytest.raises(localdb.LocalDatabaseError) as info:
        localdb._apt(["install", "-y", "postgresql-15"], print, apt_get=str(apt), lock_file=tmp_path / "lock")
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        "apt-get install failed (exit 100): E: Could not get lock /var/lib/dpkg/lock-frontend. "
        "It is held by process 4242 (apt-get)"
    )
    # apt is told to wait for the lock itself (apt.conf(5): DPkg::Lock::Timeout, seconds)
    assert (tmp_path / "args").read_text().split()[:2] == ["-o", "DPkg::Lock::Timeout=300"]


def test_a_held_dpkg_lock_is_announced_before_waiting(tmp_path: Path) -> None:
    lock = tmp_path / "lock-frontend"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(lock)!r}, 'a'); fcntl.lockf(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        said: list[str] = []
        localdb._apt(["update"], said.append, apt_get=str(_fake_apt(tmp_path, "", 0)), lock_file=lock)
        assert said == ["waiting up to 300 s for another package manager to release the dpkg lock …"]
    finally:
        holder.kill()
        holder.wait()
    said.clear()
    localdb._apt(["update"], said.append, apt_get=str(_fake_apt(tmp_path, "", 0)), lock_file=lock)
    assert said == []


def test_cli_reports_an_install_failure_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def fail(log: object) -> Path:
        raise localdb.LocalDatabaseError("apt-get install failed (exit 100): E: Unable to locate package")

    monkeypatch.setattr(localdb, "ensure_installed", fail)
    monkeypatch.setenv("ZONING_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ZONING_DATABASE_URL", raising=False)
    assert cli.main(["db", "up"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "zoning: error: apt-get install failed (exit 100): E: Unable to locate package\n"
    assert "Traceback" not in captured.err
