"""Reading a raw trial folder without changing it.

Raw files are opened read-only. Every field is read as text, exactly as written
(no type guessing, no NA conversion), with the file's line number kept in ``_row``
so that each finding can point at the line a person would open. Typed tables are
made only from files that passed validation (:func:`typed_tables`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rlstrial.rawdata import RAW_FILES

BOM = b"\xef\xbb\xbf"
ROW = "_row"


@dataclass
class RawTable:
    """One raw file read as text, with the findings that reading it produced."""

    name: str
    data: pd.DataFrame
    findings: list[dict] = field(default_factory=list)


def finding(
    rule: str,
    file: str,
    message: str,
    *,
    row: int | None = None,
    participant: str | None = None,
    visit: str | None = None,
    field: str | None = None,
    value: object = None,
    severity: str = "error",
) -> dict:
    """One entry of the query listing (see :data:`rlstrial.validate.FINDING_COLUMNS`)."""
    return {
        "rule": rule,
        "file": file,
        "row": row,
        "participant": participant,
        "visit": visit,
        "field": field,
        "value": None if value is None else str(value),
        "message": message,
        "severity": severity,
    }


def sha256_manifest(folder: str | Path) -> pd.DataFrame:
    """SHA-256 and size of every raw file of the contract present in ``folder``.

    Returns
    -------
    DataFrame
        Columns ``file``, ``bytes``, ``sha256``, one row per file, sorted by file.

    Examples
    --------
    >>> manifest = sha256_manifest("data/park2020/raw")
    >>> list(manifest.columns), len(manifest)
    (['file', 'bytes', 'sha256'], 7)
    """
    rows = []
    for name in sorted(RAW_FILES):
        path = Path(folder) / name
        if path.exists():
            content = path.read_bytes()
            rows.append(
                {"file": name, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            )
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


def compare_manifests(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Describe every difference between two manifests (empty when identical)."""
    merged = before.merge(after, on="file", how="outer", suffixes=("_before", "_after"))
    changes = []
    for record in merged.itertuples(index=False):
        if record.sha256_before != record.sha256_after:
            changes.append(
                f"{record.file}: sha256 {record.sha256_before} at ingest, {record.sha256_after} now"
            )
    return changes


def read_raw_file(path: str | Path) -> RawTable:
    """Read one raw CSV file as text, reporting encoding and layout problems.

    A byte-order mark or bytes that are not UTF-8 are findings (the text is still
    read, with undecodable bytes replaced, so that every other problem in the file is
    reported too). A record with more or fewer fields than the header is a finding.

    Returns
    -------
    RawTable
        ``data`` holds one column per header field, all strings, plus ``_row``
        (the line number of the record; the header is line 1).
    """
    path = Path(path)
    name = path.name
    content = path.read_bytes()
    findings = []
    if content.startswith(BOM):
        findings.append(
            finding(
                "byte_order_mark",
                name,
                "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM",
                row=1,
                value="EF BB BF",
            )
        )
        content = content[len(BOM) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        start_of_line = content.rfind(b"\n", 0, error.start) + 1
        column_index = content[start_of_line : error.start].count(b",")
        header = content.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
        column = header[column_index] if column_index < len(header) else None
        bad = content[error.start : error.end].hex(" ").upper()
        findings.append(
            finding(
                "not_utf8",
                name,
                f"bytes {bad} are not UTF-8 (was the file saved as Latin-1 or Windows-1252?);"
                " re-save it as UTF-8",
                row=line,
                field=column,
                value=bad,
            )
        )
        text = content.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    records, rows = [], []
    for record in reader:
        if not record:
            findings.append(
                finding(
                    "blank_line",
                    name,
                    "blank line skipped (it holds no record)",
                    row=reader.line_num,
                    severity="warning",
                )
            )
            continue
        if len(record) != len(header):
            findings.append(
                finding(
                    "field_count",
                    name,
                    f"record has {len(record)} fields, the header has {len(header)}",
                    row=reader.line_num,
                    value=",".join(record),
                )
            )
            record = (record + [""] * len(header))[: len(header)]
        records.append(record)
        rows.append(reader.line_num)
    data = pd.DataFrame(records, columns=header, dtype=str)
    data[ROW] = pd.array(rows, dtype="int64")
    return RawTable(name, data, findings)


def read_raw_folder(folder: str | Path) -> tuple[dict[str, RawTable], list[dict]]:
    """Read every file of the raw data contract from ``folder``.

    Returns the tables that exist, keyed by file name, and the findings for files
    that are missing.
    """
    tables, findings = {}, []
    for name in RAW_FILES:
        path = Path(folder) / name
        if not path.exists():
            findings.append(
                finding("missing_file", name, f"{path} does not exist; every raw file is required")
            )
            continue
        tables[name] = read_raw_file(path)
    return tables, findings


def typed_tables(tables: dict[str, RawTable], config: dict) -> dict[str, pd.DataFrame]:
    """Convert validated text tables to typed ones.

    Dates become ``datetime64``, numbers ``float``, integers ``Int64``, yes/no
    ``boolean``, empty fields missing values, and arm aliases their arm codes. Call
    only on tables that passed :func:`rlstrial.validate.validate_raw`: a value that
    cannot be converted raises ``ValueError``.
    """
    aliases = config.get("arm_aliases", {})
    out = {}
    for name, table in tables.items():
        data = table.data.copy()
        for column in RAW_FILES[name].columns:
            if column.name not in data:
                continue
            values = data[column.name].replace("", None)
            if column.type == "date":
                data[column.name] = pd.to_datetime(values, format="%Y-%m-%d")
            elif column.type == "number":
                data[column.name] = pd.to_numeric(values).astype("float64")
            elif column.type == "integer":
                data[column.name] = pd.to_numeric(values).astype("Int64")
            elif column.type == "yes/no":
                data[column.name] = values.map({"yes": True, "no": False}).astype("boolean")
            else:
                data[column.name] = values
        if name == "randomization.csv":
            data["arm"] = data["arm"].replace(aliases)
        out[name] = data
    return out
