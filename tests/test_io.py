"""Writing tables, and the lock that keeps two runs out of one output folder."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from rlstrial.io import FolderLocked, lock_folders

HOLD = """
import sys, time
from rlstrial.io import lock_folders
held = lock_folders(sys.argv[1:])
print("held", flush=True)
time.sleep(60)
"""


def test_a_folder_held_by_another_run_is_refused_until_that_run_ends(tmp_path):
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout.readline().strip() == "held"
        with pytest.raises(
            FolderLocked, match=rf"{tmp_path} is being written by another run \({other.pid} "
        ):
            lock_folders([tmp_path])
    finally:
        other.kill()  # killed, not stopped cleanly: the lock goes with the process
        other.wait()
    for _ in range(50):
        try:
            held = lock_folders([tmp_path])
            break
        except FolderLocked:
            time.sleep(0.1)
    assert len(held) == 1


def test_the_same_folder_named_twice_is_locked_once(tmp_path):
    """processed and results may be one folder: the run must not lock itself out."""
    held = lock_folders([tmp_path, tmp_path / "."])
    assert len(held) == 1
