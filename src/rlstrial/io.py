"""Reading and writing the workflow's tables, deterministically.

Every stage writes through :func:`write_table` (CSV with LF line ends and ISO dates,
or Parquet), so the same data give byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write ``table`` to ``path`` (CSV with LF line ends, or Parquet), deterministically.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_table(pd.DataFrame({"a": [1, 2]}), folder / "sub" / "t.csv")
    >>> (folder / "sub" / "t.csv").read_bytes()
    b'a\\n1\\n2\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def read_results(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Result tables (Parquet) of several outcomes or analyses, stacked in the given order."""
    return pd.concat([pd.read_parquet(path) for path in paths], ignore_index=True)


class FolderLocked(RuntimeError):
    """Another run is writing the same output folder."""


def lock_folders(folders: Iterable[str | Path]) -> list:
    """Hold an exclusive lock on each output folder for as long as the returned handles
    stay open (the process's lifetime, as the workflow does), so that two runs, from
    two checkouts or working directories, never write the same folder at once. The
    lock is the operating system's (``flock`` on ``<folder>/.rlstrial.lock``): it goes
    with the process that held it, even when that process is killed.

    Raises
    ------
    FolderLocked
        Naming the folder and the process (id and working directory) that holds it.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> held = lock_folders([folder])
    >>> (folder / ".rlstrial.lock").read_text().split()[0] == str(os.getpid())
    True
    """
    import fcntl

    handles = []
    for folder in dict.fromkeys(Path(f).resolve() for f in folders):  # one lock per folder
        path = folder / ".rlstrial.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise FolderLocked(
                f"{folder} is being written by another run ({holder}); wait for it to"
                " finish, or point paths.processed / paths.results elsewhere"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {os.getcwd()}\n")
        handle.flush()
        handles.append(handle)
    return handles
