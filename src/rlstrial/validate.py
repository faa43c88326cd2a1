"""Validation of a raw trial folder: every check runs, every finding is listed.

The result is one query listing (:data:`FINDING_COLUMNS`). Findings of severity
``error`` block the analysis; ``warning`` findings are listed and handled as the
configuration says (for example ``out_of_window``).

Rules
-----
byte_order_mark, not_utf8, field_count, missing_file, missing_column, blank_line
    The file's encoding and layout (a blank line is a warning: it holds no record).
required, integer, number, date_format, excel_serial_date, impossible_date, allowed_values
    One field's value (per-column checks, run with pandera).
duplicate_key
    Two records with the same key (a participant twice in randomization, two
    responses to one item at one visit, ...).
not_randomized
    Data for a participant who is not in randomization.csv.
unknown_arm, unknown_visit, unknown_instrument, unknown_item
    Codes not declared in the configuration (aliases only through ``arm_aliases``).
out_of_range
    A response outside the item's declared range, or not whole where it must be.
date_order
    Dates in an impossible order (randomized before screened, visits out of order,
    events before randomization, data after the end of study).
inconsistent_date
    The items of one questionnaire carry different assessment dates.
visit_window
    An assessment dated outside its visit's window (warning).
unscheduled
    An instrument at a visit where the configuration does not schedule it (warning).
missing_record
    A randomized participant without a baseline or disposition record (warning).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from rlstrial.ingest import ROW, RawTable, finding, read_raw_folder
from rlstrial.rawdata import RAW_FILES, RawFile

FINDING_COLUMNS = [
    "rule",
    "file",
    "row",
    "participant",
    "visit",
    "field",
    "value",
    "message",
    "severity",
]

INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EXCEL_SERIAL = re.compile(r"\d{5}(\.\d+)?")


class ValidationError(RuntimeError):
    """The raw data have blocking findings; the message names the first few."""


# --- per-column checks (pandera) -----------------------------------------------------


def _matches(series: pd.Series, pattern: re.Pattern) -> pd.Series:
    return series.str.fullmatch(pattern.pattern).fillna(False).astype(bool)


def _blank_or_matching(*patterns: re.Pattern):
    """A vectorised check: blank, or a full match of one of ``patterns``."""

    def check(series: pd.Series) -> pd.Series:
        ok = series.eq("")
        for pattern in patterns:
            ok |= _matches(series, pattern)
        return ok

    return check


def _parse_dates(series: pd.Series) -> pd.Series:
    """ISO dates in 1900-2100 as datetimes; anything else NaT (parsed once per value)."""
    unique = pd.Series(series.unique())
    iso = unique.where(unique.str.fullmatch(ISO_DATE).fillna(False).astype(bool))
    parsed = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    parsed = parsed.where((parsed.dt.year >= 1900) & (parsed.dt.year <= 2100))
    lookup = dict(zip(unique, parsed, strict=True))
    return series.map(lookup).astype("datetime64[ns]")


def _calendar_dates(series: pd.Series) -> pd.Series:
    """True where a value is blank, not ISO-shaped (reported elsewhere) or a real date."""
    iso = series.str.fullmatch(ISO_DATE).fillna(False).astype(bool)
    return ~iso | _parse_dates(series).notna()


def _column_checks(column) -> list[tuple[str, str, object]]:
    """(rule, message, vectorised test) for one column of the contract."""
    checks = []
    if column.required:
        checks.append(("required", "a value is required", lambda s: s.ne("")))
    if column.type == "integer":
        checks.append(("integer", "not a whole number", _blank_or_matching(INTEGER)))
    elif column.type == "number":
        checks.append(("number", "not a number", _blank_or_matching(NUMBER)))
    elif column.type == "date":
        checks.append(
            (
                "excel_serial_date",
                "looks like an Excel serial day number, not a date; export dates as YYYY-MM-DD",
                lambda series: ~_matches(series, EXCEL_SERIAL),
            )
        )
        checks.append(
            (
                "date_format",
                "not a date in YYYY-MM-DD form",
                _blank_or_matching(ISO_DATE, EXCEL_SERIAL),
            )
        )
        checks.append(("impossible_date", "not a calendar date in 1900-2100", _calendar_dates))
    if column.allowed:
        checks.append(
            (
                "allowed_values",
                f"not one of {', '.join(column.allowed)}",
                lambda series, allowed=column.allowed: series.eq("") | series.isin(allowed),
            )
        )
    return checks


def _schema(spec: RawFile) -> tuple[pa.DataFrameSchema, dict[str, list[tuple[str, str]]]]:
    columns, registry = {}, {}
    for column in spec.columns:
        checks = _column_checks(column)
        registry[column.name] = [(rule, message) for rule, message, _ in checks]
        columns[column.name] = pa.Column(
            str, checks=[pa.Check(test, error=rule) for rule, _, test in checks]
        )
    unique = list(spec.key) if spec.key else None
    schema = pa.DataFrameSchema(columns, unique=unique, report_duplicates="all")
    return schema, registry


def check_columns(table: RawTable) -> list[dict]:
    """Run the contract's per-column checks and key uniqueness on one text table.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"participant_id": ["P1", "P1"], "status": ["completed", "done"],
    ...                      "status_date": ["2024-01-31", "45321"], "reason": ["", ""],
    ...                      "_row": [2, 3]})
    >>> found = check_columns(RawTable("disposition.csv", data))
    >>> [(f["rule"], f["row"], f["field"], f["value"]) for f in found]
    [('allowed_values', 3, 'status', 'done'), ('excel_serial_date', 3, 'status_date', '45321'),
     ('duplicate_key', 2, 'participant_id', 'P1'), ('duplicate_key', 3, 'participant_id', 'P1')]
    """
    spec = RAW_FILES[table.name]
    data = table.data
    missing = [name for name in spec.column_names if name not in data.columns]
    findings = [
        finding(
            "missing_column",
            table.name,
            f"column {name!r} is missing (header has: {', '.join(c for c in data if c != ROW)})",
            row=1,
            field=name,
        )
        for name in missing
    ]
    present = RawFile(
        spec.name,
        spec.description,
        tuple(c for c in spec.columns if c.name in data.columns),
        tuple(k for k in spec.key if k in data.columns) if not set(spec.key) & set(missing) else (),
    )
    schema, registry = _schema(present)
    try:
        schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        seen_duplicates = set()
        for case in cases.itertuples(index=False):
            index = case.index
            if index is None or (isinstance(index, float) and np.isnan(index)):
                continue
            record = data.loc[index]
            context = {
                "row": int(record[ROW]),
                "participant": record.get("participant_id"),
                "visit": record.get("visit"),
            }
            if case.check == "multiple_fields_uniqueness":
                if index in seen_duplicates:
                    continue
                seen_duplicates.add(index)
                key = present.key
                findings.append(
                    finding(
                        "duplicate_key",
                        table.name,
                        f"another record has the same {', '.join(key)}",
                        field=",".join(key),
                        value=",".join(str(record[k]) for k in key),
                        **context,
                    )
                )
                continue
            rule, message = registry[case.column][int(case.check_number)]
            findings.append(
                finding(
                    rule,
                    table.name,
                    message,
                    field=case.column,
                    value=case.failure_case,
                    **context,
                )
            )
    order = {"missing_column": 0}
    findings.sort(key=lambda f: (order.get(f["rule"], 1), f["rule"] == "duplicate_key", f["row"]))
    return findings


# --- cross-file checks ---------------------------------------------------------------


_dates = _parse_dates


def _context(record, name: str, rule: str, message: str, field: str, value, severity="error"):
    return finding(
        rule,
        name,
        message,
        row=int(record[ROW]),
        participant=record.get("participant_id") or None,
        visit=record.get("visit"),
        field=field,
        value=value,
        severity=severity,
    )


def check_participants(tables: dict[str, RawTable], config: dict) -> list[dict]:
    """Participants without randomization; arms not declared; missing records."""
    findings = []
    if "randomization.csv" not in tables:
        return findings
    randomization = tables["randomization.csv"].data
    randomized = set(randomization.get("participant_id", pd.Series(dtype=str)))
    arm_codes = {arm["code"] for arm in config["arms"]}
    aliases = config.get("arm_aliases", {})
    if "arm" in randomization:
        for _, record in randomization.iterrows():
            arm = record["arm"]
            if arm and arm not in arm_codes and arm not in aliases:
                findings.append(
                    _context(
                        record,
                        "randomization.csv",
                        "unknown_arm",
                        f"arm is not declared in config arms ({', '.join(sorted(arm_codes))})"
                        " nor in arm_aliases",
                        "arm",
                        arm,
                    )
                )
    for name, table in tables.items():
        if name == "randomization.csv" or "participant_id" not in table.data:
            continue
        data = table.data
        stray = data[data["participant_id"].ne("") & ~data["participant_id"].isin(randomized)]
        for _, record in stray.iterrows():
            findings.append(
                _context(
                    record,
                    name,
                    "not_randomized",
                    "participant has data but is not in randomization.csv",
                    "participant_id",
                    record["participant_id"],
                )
            )
    for name in ("baseline.csv", "disposition.csv"):
        if name in tables and "participant_id" in tables[name].data:
            present = set(tables[name].data["participant_id"])
            for _, record in randomization.iterrows():
                if record.get("participant_id") and record["participant_id"] not in present:
                    findings.append(
                        _context(
                            record,
                            "randomization.csv",
                            "missing_record",
                            f"randomized participant has no record in {name}",
                            "participant_id",
                            record["participant_id"],
                            severity="warning",
                        )
                    )
    return findings


def _listing(frame: pd.DataFrame, name: str, rule: str, message, field: str, severity="error"):
    """Findings for every record of ``frame``; ``message`` is a string or a function of
    the record."""
    return [
        finding(
            rule,
            name,
            message(record) if callable(message) else message,
            row=int(record[ROW]),
            participant=record.get("participant_id") or None,
            visit=record.get("visit"),
            field=field,
            value=record[field],
            severity=severity,
        )
        for _, record in frame.iterrows()
    ]


def _item_ranges(config: dict) -> pd.DataFrame:
    rows = [
        {
            "instrument": code,
            "item": str(item),
            "min": group["min"],
            "max": group["max"],
            "whole": group.get("integer", True),
        }
        for code, spec in config["instruments"].items()
        for group in spec["items"]
        for item in group["codes"]
    ]
    return pd.DataFrame(rows, columns=["instrument", "item", "min", "max", "whole"])


def check_questionnaires(tables: dict[str, RawTable], config: dict) -> list[dict]:
    """Codes, response ranges, assessment dates, visit order and windows."""
    name = "questionnaires.csv"
    if name not in tables:
        return []
    data = tables[name].data
    needed = {"participant_id", "visit", "assessment_date", "instrument", "item", "response"}
    if not needed <= set(data.columns):
        return []
    findings = []
    visits = [visit["code"] for visit in config["visits"]]
    instruments = config["instruments"]
    unknown = data[data["visit"].ne("") & ~data["visit"].isin(visits)]
    message = f"visit is not declared in config visits ({', '.join(visits)})"
    findings += _listing(unknown, name, "unknown_visit", message, "visit")
    unknown = data[data["instrument"].ne("") & ~data["instrument"].isin(instruments)]
    message = f"instrument is not declared in config ({', '.join(instruments)})"
    findings += _listing(unknown, name, "unknown_instrument", message, "instrument")

    schedule = {(code, visit) for code, spec in instruments.items() for visit in spec["visits"]}
    pairs = pd.Series(list(zip(data["instrument"], data["visit"], strict=True)), data.index)
    off = data[
        data["instrument"].isin(instruments) & data["visit"].isin(visits) & ~pairs.isin(schedule)
    ]
    findings += _listing(
        off,
        name,
        "unscheduled",
        lambda r: f"{r['instrument']} is not scheduled at {r['visit']}",
        "visit",
        severity="warning",
    )

    known = data[data["instrument"].isin(instruments) & data["item"].str.fullmatch(INTEGER)]
    known = known.assign(_item=known["item"].astype(int).astype(str))
    merged = known.merge(
        _item_ranges(config),
        left_on=["instrument", "_item"],
        right_on=["instrument", "item"],
        how="left",
        suffixes=("", "_declared"),
        indicator=True,
    ).set_index(known.index)
    undeclared = merged[merged["_merge"] == "left_only"]
    findings += _listing(
        undeclared,
        name,
        "unknown_item",
        lambda r: f"{r['instrument']} has no item {r['_item']} in config",
        "item",
    )

    scored = merged[(merged["_merge"] == "both") & merged["response"].str.fullmatch(NUMBER)]
    value = scored["response"].astype(float)
    whole = scored["whole"].astype(bool)
    bad = (value < scored["min"]) | (value > scored["max"]) | (whole & (value % 1 != 0))

    def message(r):
        kind = "whole numbers " if r["whole"] else ""
        return f"{r['instrument']} item {r['_item']} takes {kind}{r['min']:g} to {r['max']:g}"

    findings += _listing(scored[bad], name, "out_of_range", message, "response")
    findings += _check_assessment_dates(tables, config)
    return findings


def _randomization_dates(tables: dict[str, RawTable], participants: pd.Series) -> pd.Series:
    """Each participant's randomization date (NaT when unknown or ambiguous)."""
    randomization = tables["randomization.csv"].data
    if not {"participant_id", "randomization_date"} <= set(randomization.columns):
        return pd.Series(pd.NaT, index=participants.index, dtype="datetime64[ns]")
    dates = _dates(randomization["randomization_date"])
    dates.index = randomization["participant_id"]
    dates = dates[~dates.index.duplicated(keep=False)]
    mapped = dates.reindex(participants.to_numpy()).to_numpy(dtype="datetime64[ns]")
    return pd.Series(mapped, index=participants.index)


def _check_assessment_dates(tables: dict[str, RawTable], config: dict) -> list[dict]:
    name = "questionnaires.csv"
    data = tables[name].data.copy()
    findings = []
    data["_date"] = _dates(data["assessment_date"])
    visits = {visit["code"]: visit for visit in config["visits"]}
    order = {code: visit["week"] for code, visit in visits.items()}  # scheduled order
    form = ["participant_id", "visit", "instrument"]
    spread = data.dropna(subset=["_date"]).groupby(form)["_date"].transform("nunique")
    findings += _listing(
        data.loc[spread[spread > 1].index],
        name,
        "inconsistent_date",
        "items of one questionnaire carry different assessment dates",
        "assessment_date",
    )
    if "randomization.csv" not in tables:
        return findings
    data["_day"] = (data["_date"] - _randomization_dates(tables, data["participant_id"])).dt.days
    known = data[data["visit"].isin(visits) & data["_day"].notna()]
    first = known.groupby(form, sort=False).head(1)  # one check per questionnaire
    low = first["visit"].map({c: v["window"][0] for c, v in visits.items()}).astype(float)
    high = first["visit"].map({c: v["window"][1] for c, v in visits.items()}).astype(float)
    outside = first[(first["_day"] < low) | (first["_day"] > high)]

    def message(r):
        first_day, last_day = visits[r["visit"]]["window"]
        return (
            f"day {int(r['_day'])} since randomization is outside the {r['visit']}"
            f" window ({first_day} to {last_day})"
        )

    findings += _listing(outside, name, "visit_window", message, "assessment_date", "warning")
    # visits must be dated in their scheduled order, per participant and instrument
    keys = ["participant_id", "instrument"]
    ordered = first.assign(_order=first["visit"].map(order)).sort_values([*keys, "_order"])
    latest_before = (
        ordered.groupby(keys)["_date"].cummax().groupby([ordered[k] for k in keys]).shift()
    )
    findings += _listing(
        ordered[ordered["_date"] <= latest_before].sort_index(),
        name,
        "date_order",
        lambda r: f"{r['visit']} is dated on or before an earlier visit",
        "assessment_date",
    )
    return findings


def check_dates(tables: dict[str, RawTable]) -> list[dict]:
    """Dates in an impossible order across files."""
    if "randomization.csv" not in tables:
        return []
    findings = []
    screening = tables.get("screening.csv")
    if screening is not None and {"participant_id", "screening_date"} <= set(screening.data):
        data = screening.data
        late = _dates(data["screening_date"]) > _randomization_dates(tables, data["participant_id"])
        for _, record in data[late].iterrows():
            findings.append(
                _context(
                    record,
                    "screening.csv",
                    "date_order",
                    "screening date is after the randomization date",
                    "screening_date",
                    record["screening_date"],
                )
            )
    checks = [
        ("adherence.csv", "diary_date", "diary day is before randomization", "error"),
        ("adverse_events.csv", "onset_date", "onset is before randomization", "warning"),
        ("disposition.csv", "status_date", "end of study is before randomization", "error"),
    ]
    for name, column, message, severity in checks:
        table = tables.get(name)
        if table is None or not {"participant_id", column} <= set(table.data):
            continue
        data = table.data
        early = _dates(data[column]) < _randomization_dates(tables, data["participant_id"])
        for _, record in data[early].iterrows():
            findings.append(
                _context(record, name, "date_order", message, column, record[column], severity)
            )
    return findings


def validate_raw(folder: str | Path, config: dict) -> tuple[dict[str, RawTable], pd.DataFrame]:
    """Read a raw trial folder and run every check.

    Parameters
    ----------
    folder
        The raw trial folder (see ``docs/data-dictionary.md``).
    config
        A validated configuration.

    Returns
    -------
    tables : dict of RawTable
        The files as read (text).
    findings : DataFrame
        The query listing, columns :data:`FINDING_COLUMNS`, sorted by file, row and
        rule. ``row`` is the line number in the file (header = 1).

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> cfg = load_config("config/config.yaml", "config/park2020.yaml")
    >>> tables, findings = validate_raw("data/park2020/raw", cfg)
    >>> len(findings[findings["severity"] == "error"])
    0
    """
    tables, findings = read_raw_folder(folder)
    for table in tables.values():
        findings += table.findings
        findings += check_columns(table)
    findings += check_participants(tables, config)
    findings += check_questionnaires(tables, config)
    findings += check_dates(tables)
    listing = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    listing["row"] = listing["row"].astype("Int64")
    listing = listing.sort_values(
        ["file", "row", "rule", "field"], kind="stable", na_position="first"
    )
    return tables, listing.reset_index(drop=True)


def summarize_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Count findings by severity, rule and file.

    Examples
    --------
    >>> listing = pd.DataFrame({"severity": ["error", "error", "warning"],
    ...                         "rule": ["required", "required", "visit_window"],
    ...                         "file": ["a.csv", "a.csv", "b.csv"]})
    >>> summarize_findings(listing)
      severity          rule   file  n
    0    error      required  a.csv  2
    1  warning  visit_window  b.csv  1
    """
    if findings.empty:
        return pd.DataFrame(columns=["severity", "rule", "file", "n"])
    return findings.groupby(["severity", "rule", "file"]).size().rename("n").reset_index()


def raise_for_blocking(findings: pd.DataFrame, listing_path: str, shown: int = 5) -> None:
    """Raise :class:`ValidationError` naming the first blocking findings, if any."""
    errors = findings[findings["severity"] == "error"]
    if errors.empty:
        return
    lines = [
        f"  {f.file} row {f.row if not pd.isna(f.row) else '-'}, column {f.field or '-'},"
        f" value {f.value!r}: {f.message} [{f.rule}]"
        for f in errors.head(shown).itertuples()
    ]
    more = f"\n  ... and {len(errors) - shown} more" if len(errors) > shown else ""
    raise ValidationError(
        f"{len(errors)} blocking finding(s) in the raw data; the full query listing is"
        f" {listing_path}:\n" + "\n".join(lines) + more
    )
