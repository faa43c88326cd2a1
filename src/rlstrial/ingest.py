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
NUL = "\x00"
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
        "participant": _printable(participant),
        "visit": _printable(visit),
        "field": _printable(field),
        "value": None if value is None else _printable(str(value)),
        "message": _printable(message),
        "severity": severity,
    }


def _printable(text: str | None) -> str | None:
    """``text`` with NUL characters shown as ``\\x00`` (they must never reach the
    query listing, which is plain text).

    Examples
    --------
    >>> _printable("P\\x001")
    'P\\\\x001'
    """
    if not isinstance(text, str):
        return text
    return text.replace(NUL, "\\x00")


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


UTF16_BOMS = {b"\xff\xfe": ("utf-16", "little-endian"), b"\xfe\xff": ("utf-16", "big-endian")}
DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _utf16(content: bytes) -> tuple[str, str, str] | None:
    """(codec, byte order, evidence) when ``content`` looks like UTF-16, else None.

    A UTF-16 byte-order mark decides; without one, text that is mostly ASCII has a NUL
    byte in every other position (even positions for big-endian, odd for little-endian).

    Examples
    --------
    >>> _utf16("id,age\\n".encode("utf-16-le"))
    ('utf-16-le', 'little-endian', 'NUL bytes')
    >>> _utf16(b"id,age\\n") is None
    True
    """
    for bom, (codec, order) in UTF16_BOMS.items():
        if content.startswith(bom):
            return codec, order, bom.hex(" ").upper()
    sample = content[:400]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if sample and max(even, odd) >= len(sample) // 4:
        if even > odd:
            return "utf-16-be", "big-endian", "NUL bytes"
        return "utf-16-le", "little-endian", "NUL bytes"
    return None


def _decode_utf16(content: bytes, name: str) -> tuple[str | None, list[dict]]:
    """Text of a UTF-16 file (None when it is not one) and the finding naming it."""
    found = _utf16(content)
    if found is None:
        return None, []
    codec, order, evidence = found
    issue = finding(
        "utf16",
        name,
        f"file is UTF-16 ({order}) encoded, not UTF-8; re-save it as UTF-8"
        " (in Excel: 'CSV UTF-8'); it was read as UTF-16 here so that its other"
        " problems are listed too",
        row=1,
        value=evidence,
    )
    try:
        return content.decode(codec), [issue]
    except UnicodeDecodeError:
        return None, [issue]


def _decode_utf8(content: bytes, name: str) -> tuple[str, list[dict]]:
    """Text of a UTF-8 file, with a finding for bytes that are not UTF-8."""
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        start_of_line = content.rfind(b"\n", 0, error.start) + 1
        column_index = content[start_of_line : error.start].count(b",")
        header = content.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
        column = header[column_index] if column_index < len(header) else None
        bad = content[error.start : error.end].hex(" ").upper()
        issue = finding(
            "not_utf8",
            name,
            f"bytes {bad} are not UTF-8 (was the file saved as Latin-1 or Windows-1252?);"
            " re-save it as UTF-8",
            row=line,
            field=column,
            value=bad,
        )
        return content.decode("utf-8", errors="replace"), [issue]


def _decode(content: bytes, name: str) -> tuple[str, list[dict]]:
    """The text of a raw file and the findings about its encoding.

    A UTF-8 byte-order mark, UTF-16 and bytes that are not UTF-8 are findings; the text
    is still returned (UTF-16 decoded as such, undecodable bytes replaced, NUL bytes
    removed) so that every other problem in the file is reported too.
    """
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
    text, found = _decode_utf16(content, name)
    findings += found
    if text is None:
        text, found = _decode_utf8(content, name)
        findings += found
    if NUL in text:
        findings.append(
            finding(
                "nul_byte",
                name,
                f"file holds {text.count(NUL)} NUL byte(s) (a binary or damaged file?);"
                " they were ignored here",
                row=text[: text.index(NUL)].count("\n") + 1,
                value="00",
            )
        )
        text = text.replace(NUL, "")
    return text, findings


def _delimiter(text: str, name: str) -> tuple[str, list[dict]]:
    """The field separator of a file, judged from its header line, and a finding when
    it is not a comma.

    Column names hold no commas, so a header line without one but with semicolons,
    tabs or vertical bars was written with that separator (as spreadsheet programs do
    in locales with decimal commas).

    Examples
    --------
    >>> _delimiter("participant_id;site;arm\\n", "randomization.csv")[0]
    ';'
    >>> _delimiter("participant_id,site,arm\\n", "randomization.csv")
    (',', [])
    """
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    likely = max(counts, key=counts.get)
    if "," in header or counts[likely] == 0:
        return ",", []
    shown = "TAB" if likely == "\t" else likely
    issue = finding(
        "delimiter",
        name,
        f"fields are separated by {DELIMITERS[likely]} ({shown}), not commas; save the file"
        f" as comma-separated CSV (it was read with {shown} here so that its other problems"
        " are listed too)",
        row=1,
        value=shown,
    )
    return likely, [issue]


def _header_spaces(header: list[str], name: str) -> tuple[list[str], list[dict]]:
    """Header cells without leading or trailing spaces, and a finding per cell that had
    them (the column is read under its trimmed name so that its values are checked)."""
    findings = [
        finding(
            "header_space",
            name,
            f"column name {cell!r} has leading or trailing spaces; write it as"
            f" {cell.strip()!r} (it was read as {cell.strip()!r} here)",
            row=1,
            field=cell.strip(),
            value=cell,
        )
        for cell in header
        if cell != cell.strip()
    ]
    return [cell.strip() for cell in header], findings


def _records(text: str, name: str, delimiter: str) -> tuple[list[str], list, list, list]:
    """Header, records padded or cut to the header's length, their line numbers, and
    the findings about blank lines and field counts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, [])
    records, rows, findings = [], [], []
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
            # the count only: the record itself may hold columns outside the contract
            findings.append(
                finding(
                    "field_count",
                    name,
                    f"record has {len(record)} fields, the header has {len(header)}"
                    " (a value holding the separator must be quoted); its values are not"
                    " checked further, as they cannot be told apart",
                    row=reader.line_num,
                    value=f"{len(record)} fields, {len(header)} expected",
                )
            )
            record = (record + [""] * len(header))[: len(header)]
        records.append(record)
        rows.append(reader.line_num)
    return header, records, rows, findings


def read_raw_file(path: str | Path) -> RawTable:
    """Read one raw CSV file as text, reporting encoding and layout problems.

    A byte-order mark, UTF-16, bytes that are not UTF-8, NUL bytes, a separator other
    than the comma and header cells with stray spaces are findings; the file is still
    read as well as it can be (UTF-16 as such, with the separator it uses, under the
    trimmed column names) so that every other problem in the file is reported too. A
    record with more or fewer fields than the header is a finding, and an empty file
    (not even a header) is one finding.

    Returns
    -------
    RawTable
        ``data`` holds one column per header field, all strings, plus ``_row``
        (the line number of the record; the header is line 1).
    """
    path = Path(path)
    name = path.name
    text, findings = _decode(path.read_bytes(), name)
    if not text.strip():
        findings.append(
            finding(
                "empty_file",
                name,
                "file is empty (not even a header row); every raw file needs at least its header",
                row=1,
                value="0 bytes" if not text else "blank",
            )
        )
        return RawTable(name, pd.DataFrame({ROW: pd.array([], dtype="int64")}), findings)
    delimiter, found = _delimiter(text, name)
    findings += found
    header, records, rows, found = _records(text, name, delimiter)
    header, spaces = _header_spaces(header, name)
    findings += spaces + found
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
