"""Validation of a raw trial folder: every check runs, every finding is listed.

The result is one query listing (:data:`FINDING_COLUMNS`). Findings of severity
``error`` block the analysis; ``warning`` findings are listed and handled as the
configuration says (for example ``out_of_window``).

Structural findings (a file's encoding and layout) come first in the listing, so that
the first lines a person reads name the cause; findings that would only repeat a
structural problem of randomization.csv in other files are counted in one
``consequential`` finding under it rather than listed one by one.

Rules
-----
missing_file, empty_file, no_records
    A file of the contract that is absent, empty (not even a header), or that has a
    header but no records where the contract requires records (see
    :attr:`rlstrial.rawdata.RawFile.empty_allowed`).
byte_order_mark, utf16, not_utf8, nul_byte, delimiter, header_space, missing_column
    The file's encoding and header: a UTF-8 byte-order mark, UTF-16, bytes that are
    not UTF-8, NUL bytes, a separator other than the comma (named), column names with
    leading or trailing spaces, a column of the contract that is absent.
field_count, blank_line
    A record with more or fewer fields than the header (the counts are shown, never
    the record), a blank line (a warning: it holds no record).
required, integer, number, date_format, excel_serial_date, impossible_date, allowed_values
    One field's value (per-column checks, run with pandera).
whitespace
    An identifier with leading or trailing spaces (records are matched on exact text).
consequential
    A count of the findings a structural problem of randomization.csv (missing, empty,
    no participant_id column, an identifier with stray spaces) would cause in other
    files; they are not listed one by one.
duplicate_key
    Two records with the same key (a participant twice in randomization, two
    responses to one item at one visit, ...).
not_randomized
    Data for a participant who is not in randomization.csv.
unknown_arm, unknown_visit, unknown_instrument, unknown_item
    Codes not declared in the configuration (aliases only through ``arm_aliases``).
out_of_range
    A response outside the item's declared range, or not whole where it must be; or a
    numeric field outside its plausible range (the contract's, or config ``ranges``),
    with the severity the contract or config gives that field.
date_order
    Dates in an impossible order (randomized before screened, visits out of order,
    events before randomization, data after the end of study).
inconsistent_date
    The items of one questionnaire carry different assessment dates.
visit_window
    An assessment dated outside its visit's window (warning).
before_randomization
    A post-baseline assessment dated before randomization (a negative study day).
missing_baseline
    A randomized participant without an answered baseline questionnaire of an
    instrument scheduled at baseline (warning: analyses that use the baseline value
    leave them out).
unscheduled
    An instrument at a visit where the configuration does not schedule it (warning).
missing_record
    A randomized participant without a baseline or disposition record (warning).
"""

from __future__ import annotations

import difflib
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
IDENTIFIERS = {"participant_id", "screening_id"}

# Structural rules, in the order a listing shows them (before every other finding).
STRUCTURAL = [
    "missing_file",
    "empty_file",
    "utf16",
    "byte_order_mark",
    "not_utf8",
    "nul_byte",
    "delimiter",
    "header_space",
    "missing_column",
    "no_records",
    "whitespace",
    "consequential",
]
SEVERITIES = ("error", "warning")


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
    if column.name in IDENTIFIERS:
        checks.append(
            (
                "whitespace",
                "identifier has leading or trailing spaces; records are matched on the exact"
                " text, so remove them",
                lambda series: series.eq(series.str.strip()),
            )
        )
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


def _has(table: RawTable, rule: str) -> bool:
    return any(f["rule"] == rule for f in table.findings)


def check_records(table: RawTable) -> list[dict]:
    """A file with a header but no records, where the contract requires records.

    Examples
    --------
    >>> data = pd.DataFrame({"participant_id": [], "_row": []})
    >>> [(f["rule"], f["row"], f["value"]) for f in check_records(RawTable("baseline.csv", data))]
    [('no_records', 1, '0 records')]
    >>> check_records(RawTable("adverse_events.csv", data))
    []
    """
    spec = RAW_FILES[table.name]
    if not table.data.empty or spec.empty_allowed or _has(table, "empty_file"):
        return []
    return [
        finding(
            "no_records",
            table.name,
            f"file has a header but no records; {spec.description}, so at least one record"
            " is required (was the export filtered or cut short?)",
            row=1,
            value="0 records",
        )
    ]


def _range_keys() -> dict[str, tuple[str, str]]:
    """Config ``ranges`` keys (``<file stem>.<column>``) of every numeric column whose
    range the contract sets (not those taken from config instruments)."""
    return {
        f"{spec.stem}.{column.name}": (spec.name, column.name)
        for spec in RAW_FILES.values()
        for column in spec.columns
        if column.type in ("integer", "number") and not column.range_note
    }


def plausible_ranges(config: dict) -> dict[tuple[str, str], dict]:
    """The plausible range of each numeric field: the contract's, overridden by config.

    Parameters
    ----------
    config
        A configuration; its optional ``ranges`` maps ``"<file>.<column>"`` (file name
        without ``.csv``) to ``{min, max, severity}``, each key optional (``min`` or
        ``max`` null: no bound; omitted: the contract's).

    Returns
    -------
    dict
        ``(file, column)`` to ``{"min", "max", "severity"}``.

    Raises
    ------
    ValueError
        A key that is not a numeric field of the contract, or a severity other than
        ``error`` or ``warning``.

    Examples
    --------
    >>> ranges = plausible_ranges({"ranges": {"baseline.age": {"max": 110}}})
    >>> ranges[("baseline.csv", "age")]
    {'min': 18, 'max': 110, 'severity': 'error'}
    >>> ranges[("baseline.csv", "rls_years")]
    {'min': 0, 'max': 80, 'severity': 'error'}
    """
    ranges = {
        (spec.name, column.name): {
            "min": column.plausible[0],
            "max": column.plausible[1],
            "severity": column.plausible_severity,
        }
        for spec in RAW_FILES.values()
        for column in spec.columns
        if column.plausible is not None
    }
    keys = _range_keys()
    problems = []
    for key, override in (config.get("ranges") or {}).items():
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"ranges: {key!r} is not a numeric field of the raw contract"
                f" (choices: {', '.join(sorted(keys))}){hint}"
            )
            continue
        base = ranges.get(keys[key], {"min": None, "max": None, "severity": "error"})
        ranges[keys[key]] = {**base, **override}
        problems += _range_problems(key, override, ranges[keys[key]])
    if problems:
        raise ValueError("\n".join(problems))
    return ranges


def _range_problems(key: str, override: dict, merged: dict) -> list[str]:
    """What is wrong with one entry of config ``ranges`` (empty when nothing)."""
    problems = [
        f"ranges: {key}.{name} is not a setting (choices: min, max, severity)"
        for name in override
        if name not in ("min", "max", "severity")
    ]
    if merged["severity"] not in SEVERITIES:
        problems.append(f"ranges: {key}.severity must be one of {', '.join(SEVERITIES)}")
    low, high = merged["min"], merged["max"]
    if low is not None and high is not None and low > high:
        problems.append(f"ranges: {key} has min {low} above max {high}")
    return problems


def _bounds_text(low, high) -> str:
    if low is None:
        return f"at most {high:g}"
    if high is None:
        return f"at least {low:g}"
    return f"{low:g} to {high:g}"


def check_ranges(tables: dict[str, RawTable], config: dict) -> list[dict]:
    """Numeric fields outside their plausible range (:func:`plausible_ranges`).

    Values that are not numbers are left to the ``integer`` and ``number`` checks.
    """
    findings = []
    for (name, column), bounds in plausible_ranges(config).items():
        table = tables.get(name)
        if table is None or column not in table.data:
            continue
        data = table.data
        text = data[column].where(_matches(data[column], NUMBER))
        value = pd.to_numeric(text, errors="coerce")
        low, high = bounds["min"], bounds["max"]
        outside = pd.Series(False, index=data.index)
        if low is not None:
            outside |= value < low
        if high is not None:
            outside |= value > high
        key = f"{RAW_FILES[name].stem}.{column}"
        message = (
            f"{column} is outside its plausible range {_bounds_text(low, high)}"
            " (a missing-value code? leave missing values empty); the range is config"
            f" ranges {key!r} or the raw contract's"
        )
        findings += _listing(
            data[outside], name, "out_of_range", message, column, bounds["severity"]
        )
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


RANDOMIZATION = "randomization.csv"


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


def _records_with_participant(tables: dict[str, RawTable]) -> dict[str, pd.DataFrame]:
    """The records naming a participant in each file other than randomization.csv."""
    return {
        name: table.data[table.data["participant_id"].ne("")]
        for name, table in tables.items()
        if name != RANDOMIZATION and "participant_id" in table.data
    }


def _randomization_cause(tables: dict[str, RawTable]) -> str | None:
    """Why randomization.csv cannot say who was randomized (None when it can)."""
    table = tables.get(RANDOMIZATION)
    if table is None:
        return "the file is missing"
    if _has(table, "empty_file"):
        return "the file is empty"
    if "participant_id" not in table.data:
        return "it has no participant_id column"
    if table.data.empty:
        return "it has no records"
    return None


def _unchecked(tables: dict[str, RawTable], cause: str) -> list[dict]:
    """One finding counting the records that cannot be checked against randomization."""
    counts = {
        name: len(records)
        for name, records in _records_with_participant(tables).items()
        if len(records)
    }
    if not counts:
        return []
    total = sum(counts.values())
    return [
        finding(
            "consequential",
            RANDOMIZATION,
            f"{total} records of other files ({_counts_text(counts)}) cannot be checked"
            f" against randomization because {cause}; they are not listed one by one:"
            " fix this file first",
            row=None if RANDOMIZATION not in tables else 1,
            field="participant_id",
            value=f"{total} records",
        )
    ]


def _check_arms(randomization: pd.DataFrame, config: dict) -> list[dict]:
    if "arm" not in randomization:
        return []
    arm_codes = {arm["code"] for arm in config["arms"]}
    aliases = config.get("arm_aliases", {})
    unknown = randomization[
        randomization["arm"].ne("")
        & ~randomization["arm"].isin(arm_codes)
        & ~randomization["arm"].isin(aliases)
    ]
    message = (
        f"arm is not declared in config arms ({', '.join(sorted(arm_codes))}) nor in arm_aliases"
    )
    return _listing(unknown, RANDOMIZATION, "unknown_arm", message, "arm")


def _check_not_randomized(tables: dict[str, RawTable]) -> list[dict]:
    """Records of participants not in randomization.csv; those that differ from a
    randomized identifier only by stray spaces are counted under that identifier."""
    randomization = tables[RANDOMIZATION].data
    randomized = set(randomization["participant_id"])
    trimmed = {pid.strip() for pid in randomized}
    findings, near = [], {}
    for name, records in _records_with_participant(tables).items():
        stray = records[~records["participant_id"].isin(randomized)]
        is_near = stray["participant_id"].str.strip().isin(trimmed)
        message = "participant has data but is not in randomization.csv"
        findings += _listing(stray[~is_near], name, "not_randomized", message, "participant_id")
        for pid in stray.loc[is_near, "participant_id"].str.strip():
            near.setdefault(pid, {}).setdefault(name, 0)
            near[pid][name] += 1
    ids = randomization["participant_id"]
    for _, record in randomization[ids.ne(ids.str.strip())].iterrows():
        counts = near.get(record["participant_id"].strip())
        if counts:
            message = (
                f"{sum(counts.values())} records of other files ({_counts_text(counts)}) name"
                f" this participant {record['participant_id'].strip()!r}, without the spaces;"
                " they are not listed as not_randomized: fix this identifier first"
            )
            findings.append(
                _context(
                    record,
                    RANDOMIZATION,
                    "consequential",
                    message,
                    "participant_id",
                    record["participant_id"],
                )
            )
    return findings


def _check_missing_records(tables: dict[str, RawTable]) -> list[dict]:
    """Randomized participants without a baseline or disposition record (identifiers
    compared without stray spaces, which have their own finding)."""
    randomization = tables[RANDOMIZATION].data
    ids = randomization["participant_id"]
    findings = []
    for name in ("baseline.csv", "disposition.csv"):
        table = tables.get(name)
        if table is None or "participant_id" not in table.data:
            continue
        if table.data.empty and not RAW_FILES[name].empty_allowed:
            continue  # the file's no_records finding says it
        present = set(table.data["participant_id"].str.strip())
        missing = randomization[ids.ne("") & ~ids.str.strip().isin(present)]
        message = f"randomized participant has no record in {name}"
        findings += _listing(
            missing, RANDOMIZATION, "missing_record", message, "participant_id", "warning"
        )
    return findings


def check_participants(tables: dict[str, RawTable], config: dict) -> list[dict]:
    """Participants without randomization; arms not declared; missing records.

    When randomization.csv cannot say who was randomized (missing, empty, no records,
    no participant_id column), the records of other files are counted in one
    ``consequential`` finding instead of one ``not_randomized`` finding each.
    """
    findings = []
    if RANDOMIZATION in tables:
        findings += _check_arms(tables[RANDOMIZATION].data, config)
    cause = _randomization_cause(tables)
    if cause is not None:
        return findings + _unchecked(tables, cause)
    return findings + _check_not_randomized(tables) + _check_missing_records(tables)


def _questionnaires_and_randomization(tables: dict[str, RawTable], randomization_columns: set):
    """The two tables, when both are there with the columns a cross-check needs and
    questionnaires.csv has records (otherwise their own findings say why); else None."""
    questionnaires, randomization = tables.get("questionnaires.csv"), tables.get(RANDOMIZATION)
    needed = {"participant_id", "visit", "instrument", "response"}
    if (
        questionnaires is None
        or randomization is None
        or questionnaires.data.empty
        or not needed <= set(questionnaires.data)
        or not randomization_columns <= set(randomization.data)
    ):
        return None
    return questionnaires, randomization


def check_baseline_questionnaires(tables: dict[str, RawTable], config: dict) -> list[dict]:
    """Randomized participants without an answered baseline questionnaire.

    One warning per participant and instrument scheduled at a baseline visit when no
    item of it has a response there: analyses that use the baseline value (as
    covariate or in the change from baseline) leave the participant out, which must
    not happen unseen. Nothing is reported when questionnaires.csv has no records (its
    ``no_records`` finding says so).
    """
    pair = _questionnaires_and_randomization(tables, {"participant_id"})
    if pair is None:
        return []
    questionnaires, randomization = pair
    baseline = [visit["code"] for visit in config["visits"] if visit.get("baseline")]
    data = questionnaires.data[questionnaires.data["visit"].isin(baseline)]
    forms = set(zip(data["participant_id"].str.strip(), data["instrument"], strict=True))
    answered = data[data["response"].ne("")]
    answered = set(zip(answered["participant_id"].str.strip(), answered["instrument"], strict=True))
    randomized = randomization.data[randomization.data["participant_id"].ne("")]
    findings = []
    for instrument in [
        c for c, spec in config["instruments"].items() if set(spec["visits"]) & set(baseline)
    ]:
        for _, record in randomized.iterrows():
            form = (record["participant_id"].strip(), instrument)
            if form in answered:
                continue
            what = "every item is blank" if form in forms else "there is none"
            findings.append(
                finding(
                    "missing_baseline",
                    RANDOMIZATION,
                    f"randomized participant has no answered baseline {instrument}"
                    f" questionnaire in questionnaires.csv ({what}); analyses that use the"
                    " baseline value leave them out",
                    row=int(record[ROW]),
                    participant=record["participant_id"],
                    visit=", ".join(baseline),
                    field="participant_id",
                    value=record["participant_id"],
                    severity="warning",
                )
            )
    return findings


def check_arm_coverage(tables: dict[str, RawTable], config: dict) -> list[dict]:
    """Scheduled visits at which no participant of an arm answered an instrument.

    One warning per arm, instrument and scheduled visit: the models cannot estimate
    that arm at that visit (its LS-mean and every contrast involving it are reported
    as not estimable), so the listing says so before any model runs. Arms are matched
    by code or configured alias; nothing is reported for an arm nobody was randomized to.
    """
    pair = _questionnaires_and_randomization(tables, {"participant_id", "arm"})
    if pair is None:
        return []
    questionnaires, randomization = pair
    aliases = config.get("arm_aliases", {})
    arm_of = dict(
        zip(
            randomization.data["participant_id"].str.strip(),
            randomization.data["arm"].str.strip().replace(aliases),
            strict=True,
        )
    )
    answered = questionnaires.data[questionnaires.data["response"].ne("")]
    seen = {
        (arm_of.get(pid.strip()), instrument, visit)
        for pid, instrument, visit in zip(
            answered["participant_id"], answered["instrument"], answered["visit"], strict=True
        )
    }
    arms = sorted(set(arm_of.values()) & {arm["code"] for arm in config["arms"]})
    return [
        finding(
            "arm_without_visit",
            "questionnaires.csv",
            f"no participant of arm {arm} has an answered {instrument} questionnaire at"
            f" {visit}: the models cannot estimate {arm} at {visit} (reported as not"
            " estimable)",
            visit=visit,
            field="instrument",
            value=instrument,
            severity="warning",
        )
        for instrument, spec in config["instruments"].items()
        for visit in spec["visits"]
        for arm in arms
        if (arm, instrument, visit) not in seen
    ]


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


def _check_study_days(first: pd.DataFrame, visits: dict, name: str) -> list[dict]:
    """Post-baseline questionnaires dated before randomization (blocking: the record
    would be analysed as an outcome with a negative study day) and questionnaires
    outside their visit's window (a warning; not repeated for the former).

    ``first`` holds the first record of each questionnaire, with ``_day`` the study day.
    """
    baseline = {code for code, visit in visits.items() if visit.get("baseline")}
    opens = first["visit"].map({code: visit["window"][0] for code, visit in visits.items()})
    # before randomization, and before the visit's own window (which may open earlier)
    early = first[
        ~first["visit"].isin(baseline) & (first["_day"] < 0) & (first["_day"] < opens.astype(float))
    ]

    def early_message(r):
        return (
            f"{r['visit']} is a post-baseline visit but is dated {-int(r['_day'])} day(s)"
            f" before randomization (study day {int(r['_day'])}); check the date and the"
            " visit code"
        )

    findings = _listing(early, name, "before_randomization", early_message, "assessment_date")
    rest = first.drop(early.index)
    low = rest["visit"].map({c: v["window"][0] for c, v in visits.items()}).astype(float)
    high = rest["visit"].map({c: v["window"][1] for c, v in visits.items()}).astype(float)
    outside = rest[(rest["_day"] < low) | (rest["_day"] > high)]

    def message(r):
        first_day, last_day = visits[r["visit"]]["window"]
        return (
            f"day {int(r['_day'])} since randomization is outside the {r['visit']}"
            f" window ({first_day} to {last_day})"
        )

    findings += _listing(outside, name, "visit_window", message, "assessment_date", "warning")
    return findings


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
    findings += _check_study_days(first, visits, name)
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
        findings += check_records(table)
        if not _has(table, "empty_file"):
            findings += check_columns(table)
    findings += check_ranges(tables, config)
    findings += check_participants(tables, config)
    findings += check_baseline_questionnaires(tables, config)
    findings += check_arm_coverage(tables, config)
    findings += check_questionnaires(tables, config)
    findings += check_dates(tables)
    listing = pd.DataFrame(_drop_misaligned(findings), columns=FINDING_COLUMNS)
    return tables, sort_findings(listing)


def _drop_misaligned(findings: list[dict]) -> list[dict]:
    """Leave out the findings on the fields of records with the wrong number of fields.

    Their values cannot be told apart (a field too many shifts every later one into
    the wrong column, where it may be a value outside the contract, such as a date of
    birth): the ``field_count`` finding of the record stands for them.
    """
    misaligned = {(f["file"], f["row"]) for f in findings if f["rule"] == "field_count"}
    return [
        f
        for f in findings
        if (f["rule"] in STRUCTURAL and f["rule"] != "whitespace")  # whitespace: a value
        or f["rule"] == "field_count"
        or (f["file"], f["row"]) not in misaligned
    ]


def sort_findings(listing: pd.DataFrame) -> pd.DataFrame:
    """Structural findings first (in :data:`STRUCTURAL` order within a line), then the
    rest, each by file, row, rule and field.

    Examples
    --------
    >>> listing = pd.DataFrame({"rule": ["not_randomized", "consequential", "no_records"],
    ...                         "file": ["adherence.csv", "randomization.csv"] + [
    ...                                  "randomization.csv"],
    ...                         "row": [2, 1, 1], "field": [None] * 3})
    >>> sort_findings(listing)["rule"].tolist()
    ['no_records', 'consequential', 'not_randomized']
    """
    listing = listing.copy()
    listing["row"] = listing["row"].astype("Int64")
    rank = {rule: k for k, rule in enumerate(STRUCTURAL)}
    order = listing.assign(
        _later=~listing["rule"].isin(rank),
        _rank=listing["rule"].map(rank).fillna(len(rank)),
    ).sort_values(
        ["_later", "file", "row", "_rank", "rule", "field"], kind="stable", na_position="first"
    )
    return listing.loc[order.index].reset_index(drop=True)


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
