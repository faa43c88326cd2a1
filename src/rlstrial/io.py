"""Reading and writing the workflow's tables, deterministically.

Every stage writes through :func:`write_table` (CSV with LF line ends and ISO dates,
or Parquet), so the same data give byte-identical files.
"""

from __future__ import annotations

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
