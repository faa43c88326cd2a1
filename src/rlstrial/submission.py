"""Submission datasets: SAS version 5 transport files and the dataset specification.

The analysis datasets (:mod:`rlstrial.derive`) go to a regulator as SAS V5 transport
files (XPT), with the metadata that stands next to their derivation
(:data:`rlstrial.derive.DATASETS`):

``xpt_frame``
    A dataset as the transport file stores it, with its labels, formats and lengths,
    checked against the V5 and ADaM rules.
``write_xpt``
    Write one dataset as a V5 transport file, byte-identical between runs.
``dataset_specification``
    One row per dataset x variable: label, type, length, format, codelist or source,
    and the derivation in words.
``write_specification_docx``
    The specification as a document a reviewer opens: one table per dataset.
``write_submission``
    All of it into one folder: what the workflow calls.

The rules (SAS V5 transport, FDA Study Data Technical Conformance Guide, ADaMIG):
names of datasets and variables are at most 8 characters (letters, digits and
underscores, starting with a letter, upper case); labels are at most 40 characters;
text is ASCII; character variables are as long as their longest value (at least 1,
at most 200 bytes); numbers are 8-byte numerics; dates are SAS dates (days since
1960-01-01) with the DATE9. format. A break of any rule raises
:class:`SubmissionError` naming the dataset, the variable and the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from rlstrial.derive import DATASETS, Dataset, Variable
from rlstrial.io import write_table

#: The creation time written into every transport file's headers (see :func:`write_xpt`).
FIXED_TIME = datetime(2000, 1, 1)
MAX_NAME, MAX_LABEL, MAX_LENGTH = 8, 40, 200
SAS_EPOCH = pd.Timestamp("1960-01-01")
DATE_FORMAT = "DATE9."
CODELISTS = ("", "NY", "Y", "arms", "values")
#: The values the ADaM flag codelists allow (blank, i.e. missing, is always allowed).
FLAG_VALUES = {"NY": ("N", "Y"), "Y": ("Y",)}
FLAG_DECODES = {"N": "No", "Y": "Yes"}
SPEC_COLUMNS = [
    "dataset",
    "dataset_label",
    "dataset_class",
    "structure",
    "keys",
    "records",
    "file",
    "order",
    "variable",
    "label",
    "type",
    "length",
    "format",
    "codelist",
    "source",
    "derivation",
]

_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class SubmissionError(ValueError):
    """A dataset or its metadata breaks a rule of SAS V5 transport files or of ADaM."""


class XptFrame(NamedTuple):
    """A dataset as the transport file stores it (see :func:`xpt_frame`)."""

    frame: pd.DataFrame
    labels: dict[str, str]
    formats: dict[str, str]
    lengths: dict[str, int]


def _check_name(name: str, what: str) -> None:
    if not (_NAME.fullmatch(name) and len(name) <= MAX_NAME):
        raise SubmissionError(
            f"{what} name {name!r} must be at most {MAX_NAME} characters: upper-case letters,"
            " digits and underscores, starting with a letter"
        )


def _check_label(label: str, what: str) -> None:
    if not label or not label.isascii() or len(label) > MAX_LABEL:
        raise SubmissionError(
            f"{what} label {label!r} ({len(label)} characters) must be 1 to {MAX_LABEL}"
            " ASCII characters"
        )


def _check_variable(variable: Variable, dataset: Dataset) -> None:
    where = f"{dataset.name}.{variable.name}"
    _check_name(variable.name, f"{dataset.name} variable")
    _check_label(variable.label, where)
    if variable.type not in ("Char", "Num"):
        raise SubmissionError(f"{where} type {variable.type!r} must be 'Char' or 'Num'")
    if variable.format not in ("", DATE_FORMAT) or (variable.format and variable.type != "Num"):
        raise SubmissionError(f"{where} format {variable.format!r}: only Num dates take DATE9.")
    if variable.codelist not in CODELISTS:
        raise SubmissionError(f"{where} codelist {variable.codelist!r} is not one of {CODELISTS}")
    if variable.decode and variable.decode not in dataset.columns:
        raise SubmissionError(f"{where} is decoded by {variable.decode!r}, not a variable")


def check_metadata(dataset: Dataset) -> None:
    """Check a dataset's metadata against the V5 transport and ADaM rules.

    Raises
    ------
    SubmissionError
        Naming the dataset, the variable and the value that break a rule: a name not
        of 1 to 8 upper-case letters, digits or underscores starting with a letter; a
        label not of 1 to 40 ASCII characters; a type other than Char or Num; a format
        other than DATE9. on a Num; an unknown codelist; a variable named twice; a key
        or a decode that is not a variable.

    Examples
    --------
    >>> from rlstrial.derive import ADSL
    >>> check_metadata(ADSL)
    >>> from dataclasses import replace
    >>> check_metadata(replace(ADSL, name="ADSUBJECT"))
    Traceback (most recent call last):
    ...
    rlstrial.submission.SubmissionError: dataset name 'ADSUBJECT' must be at most 8 \
characters: upper-case letters, digits and underscores, starting with a letter
    """
    _check_name(dataset.name, "dataset")
    _check_label(dataset.label, dataset.name)
    for variable in dataset.variables:
        _check_variable(variable, dataset)
    twice = sorted({name for name in dataset.columns if dataset.columns.count(name) > 1})
    if twice:
        raise SubmissionError(f"{dataset.name} names variables more than once: {twice}")
    unknown = [key for key in dataset.keys if key not in dataset.columns]
    if unknown:
        raise SubmissionError(f"{dataset.name} keys {unknown} are not variables")


def _check_columns(data: pd.DataFrame, dataset: Dataset) -> None:
    columns = [str(column) for column in data.columns]
    if columns == dataset.columns:
        return
    missing = [name for name in dataset.columns if name not in columns]
    extra = [name for name in columns if name not in dataset.columns]
    if missing or extra:
        raise SubmissionError(
            f"{dataset.name}: the data's columns are not the metadata's variables"
            f" (missing: {missing}; not in the metadata: {extra})"
        )
    raise SubmissionError(f"{dataset.name}: the columns are not in the metadata's order")


def _first_offender(values: pd.Series, bad: np.ndarray):
    return values[bad].iloc[0]


def _char_values(values: pd.Series, where: str, codelist: str) -> tuple[pd.Series, int]:
    """Text values (missing as blank) and their length in bytes."""
    present = values.notna().to_numpy()
    not_text = present & ~values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not_text.any():
        raise SubmissionError(f"{where} is Char but holds {_first_offender(values, not_text)!r}")
    text = values.where(present, "").astype(object)
    not_ascii = ~text.map(str.isascii).to_numpy(dtype=bool)
    if not_ascii.any():
        raise SubmissionError(
            f"{where} holds {_first_offender(text, not_ascii)!r}: transport files take ASCII"
        )
    if codelist in FLAG_VALUES:
        wrong = ~text.isin(["", *FLAG_VALUES[codelist]]).to_numpy()
        if wrong.any():
            codes = ", ".join(repr(code) for code in FLAG_VALUES[codelist])
            raise SubmissionError(
                f"{where} holds {_first_offender(text, wrong)!r}; the {codelist} flag"
                f" takes {codes} or blank"
            )
    length = max([1, *text.map(len)])  # ASCII: a character is a byte
    if length > MAX_LENGTH:
        longest = text[text.map(len) == length].iloc[0]
        raise SubmissionError(
            f"{where} value {longest[:40]!r}... has {length} bytes; at most {MAX_LENGTH}"
        )
    return text, length


def _sas_dates(values: pd.Series, where: str) -> pd.Series:
    """Days since 1960-01-01 (SAS dates) of datetimes or ISO 8601 date strings."""
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = values
    else:
        try:
            dates = pd.to_datetime(values, format="%Y-%m-%d")
        except (TypeError, ValueError) as error:
            raise SubmissionError(f"{where} is a date but holds non-dates: {error}") from None
    if dates.dt.tz is not None or (dates.dropna() != dates.dropna().dt.normalize()).any():
        raise SubmissionError(f"{where} is a date but holds times of day")
    days = (dates - SAS_EPOCH).dt.days
    return days.astype(float)


def _num_values(values: pd.Series, where: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise SubmissionError(f"{where} is Num but holds {values.dtype} values")
    return values.astype("Float64").astype(float)


def xpt_frame(data: pd.DataFrame, dataset: Dataset) -> XptFrame:
    """A dataset as the transport file stores it.

    Parameters
    ----------
    data
        The derived dataset; its columns must be the metadata's variables, in order.
        Dates may be datetimes or ISO 8601 strings (as in the CSV files).
    dataset
        Its metadata (:class:`rlstrial.derive.Dataset`).

    Returns
    -------
    XptFrame
        ``frame``: Char variables as text, missing as blank; Num variables as floats
        (8-byte numerics), missing as NaN; dates as SAS dates (days since
        1960-01-01). ``labels`` (variable: label), ``formats`` (variable: DATE9., dates
        only) and ``lengths`` (variable: bytes; the longest value of a Char variable,
        at least 1; 8 for Num).

    Raises
    ------
    SubmissionError
        When the metadata breaks a rule (:func:`check_metadata`), the data's columns
        are not the metadata's variables in order, a Char variable holds a non-text or
        non-ASCII value or one longer than 200 bytes, a flag holds a value outside its
        codelist, a Num variable holds non-numbers, or a date is not a date.

    Examples
    --------
    >>> from rlstrial.derive import Dataset, Variable
    >>> meta = Dataset("ADX", "Example", "BASIC DATA STRUCTURE", "One record per subject",
    ...     ("USUBJID",), (Variable("USUBJID", "Unique Subject Identifier", "Char", "-"),
    ...     Variable("RANDDT", "Date of Randomization", "Num", "-", format="DATE9."),
    ...     Variable("ABLFL", "Baseline Record Flag", "Char", "-", codelist="Y")))
    >>> data = pd.DataFrame({"USUBJID": ["P1", "P10"], "RANDDT": ["1960-01-02", None],
    ...     "ABLFL": ["Y", None]})
    >>> table = xpt_frame(data, meta)
    >>> table.frame
      USUBJID  RANDDT ABLFL
    0      P1     1.0     Y
    1     P10     NaN
    >>> table.lengths, table.formats
    ({'USUBJID': 3, 'RANDDT': 8, 'ABLFL': 1}, {'RANDDT': 'DATE9.'})
    >>> xpt_frame(data.assign(ABLFL=["Y", "N"]), meta)
    Traceback (most recent call last):
    ...
    rlstrial.submission.SubmissionError: ADX.ABLFL holds 'N'; the Y flag takes 'Y' or blank
    """
    check_metadata(dataset)
    _check_columns(data, dataset)
    columns, lengths = {}, {}
    for variable in dataset.variables:
        where = f"{dataset.name}.{variable.name}"
        values = data[variable.name].reset_index(drop=True)
        if variable.type == "Char":
            columns[variable.name], lengths[variable.name] = _char_values(
                values, where, variable.codelist
            )
        elif variable.format == DATE_FORMAT:
            columns[variable.name], lengths[variable.name] = _sas_dates(values, where), 8
        else:
            columns[variable.name], lengths[variable.name] = _num_values(values, where), 8
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(data)))
    labels = {variable.name: variable.label for variable in dataset.variables}
    formats = {v.name: v.format for v in dataset.variables if v.format}
    return XptFrame(frame, labels, formats, lengths)


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_RECORD = 80
_STAMPED = (
    b"HEADER RECORD*******LIBRARY HEADER RECORD",
    b"HEADER RECORD*******DSCRPTR HEADER RECORD",
)


def _sas_datetime(moment: datetime) -> bytes:
    """A header date-time as transport files write it (ddMMMyy:hh:mm:ss), whatever
    the locale.

    Examples
    --------
    >>> _sas_datetime(datetime(2000, 1, 1))
    b'01JAN00:00:00:00'
    """
    month = _MONTHS[moment.month - 1]
    text = f"{moment.day:02d}{month}{moment.year % 100:02d}:{moment:%H:%M:%S}"
    return text.encode("ascii")


def _fix_xpt_timestamps(path: Path, created: datetime) -> None:
    """Overwrite the creation and modification times in a transport file's headers.

    pyreadstat (ReadStat) writes the time of writing into the library header and into
    each member header, and takes no time to write instead. In the layout of SAS
    technical note TS-140, each of these headers is an 80-byte record followed by two
    records: the first ends (bytes 65-80) with the creation time, the second starts
    (bytes 1-16) with the modification time, each 16 characters ``ddMMMyy:hh:mm:ss``.
    This rewrites the four fields with ``created``; any other layout raises.
    """
    data = bytearray(path.read_bytes())
    stamp = _sas_datetime(created)
    headers = 0
    for start in range(0, len(data), _RECORD):
        record = bytes(data[start : start + _RECORD])
        if record.startswith(b"HEADER RECORD*******OBS"):
            break  # the observations follow: no more headers
        if not record.startswith(_STAMPED):
            continue
        for field in (start + _RECORD + 64, start + 2 * _RECORD):
            if not _STAMP.fullmatch(bytes(data[field : field + 16])):
                raise RuntimeError(
                    f"{path}: no header date-time at byte {field}; the transport file's"
                    " layout is not the one expected (SAS TS-140)"
                )
            data[field : field + 16] = stamp
        headers += 1
    if headers < 2:
        raise RuntimeError(f"{path}: expected a library header and a member header")
    path.write_bytes(bytes(data))


def write_xpt(
    data: pd.DataFrame, dataset: Dataset, path: str | Path, *, created: datetime = FIXED_TIME
) -> Path:
    """Write a dataset as a SAS version 5 transport file, byte-identical between runs.

    The member is named after the dataset (``dataset.name``, e.g. ADSL) and carries the
    dataset label, the variable labels, the DATE9. format of dates, and the lengths of
    :func:`xpt_frame`.

    Parameters
    ----------
    data, dataset
        As :func:`xpt_frame`.
    path
        The file to write (its folder is created).
    created
        The creation and modification time written into the headers. The time of
        writing would make every run's file differ, so a fixed time is written
        instead (:data:`FIXED_TIME`, 1 January 2000, unless given; to follow the
        reproducible-builds convention, pass the time of ``SOURCE_DATE_EPOCH``).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pyreadstat
    >>> from rlstrial.derive import Dataset, Variable
    >>> meta = Dataset("ADX", "Example Dataset", "BASIC DATA STRUCTURE", "One record per subject",
    ...     ("USUBJID",), (Variable("USUBJID", "Unique Subject Identifier", "Char", "-"),
    ...     Variable("RANDDT", "Date of Randomization", "Num", "-", format="DATE9.")))
    >>> data = pd.DataFrame({"USUBJID": ["P1", "P10"],
    ...     "RANDDT": pd.to_datetime(["2024-01-10", "2024-02-29"])})
    >>> path = write_xpt(data, meta, Path(tempfile.mkdtemp()) / "adx.xpt")
    >>> back, info = pyreadstat.read_xport(path)
    >>> back
      USUBJID      RANDDT
    0      P1  2024-01-10
    1     P10  2024-02-29
    >>> info.table_name, info.file_label, info.column_names_to_labels["RANDDT"]
    ('ADX', 'Example Dataset', 'Date of Randomization')
    >>> info.variable_storage_width, info.original_variable_types
    ({'USUBJID': 3, 'RANDDT': 8}, {'USUBJID': None, 'RANDDT': 'DATE9'})
    """
    import pyreadstat

    table = xpt_frame(data, dataset)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_xport(
        table.frame,
        path,
        file_label=dataset.label,
        column_labels=table.labels,
        table_name=dataset.name,
        file_format_version=5,
        variable_format=table.formats,
    )
    _fix_xpt_timestamps(path, created)
    return path


def _text(value) -> str:
    """A coded value as the specification prints it: whole numbers without ".0"."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _observed(data: pd.DataFrame, variable: Variable, where: str) -> str:
    """The distinct values of a variable (blank left out), with their decodes."""
    columns = [variable.name, *([variable.decode] if variable.decode else [])]
    pairs = data[columns].dropna(subset=[variable.name])
    pairs = pairs[pairs[variable.name].astype(str) != ""].drop_duplicates()
    pairs = pairs.sort_values(columns, kind="stable")
    if not variable.decode:
        return "; ".join(_text(value) for value in pairs[variable.name])
    twice = pairs[variable.name][pairs[variable.name].duplicated()]
    if len(twice):
        raise SubmissionError(
            f"{where} value {_text(twice.iloc[0])!r} has more than one {variable.decode}"
        )
    return "; ".join(
        f"{_text(value)} = {_text(decode)}"
        for value, decode in zip(pairs[variable.name], pairs[variable.decode], strict=True)
    )


def _codelist(
    data: pd.DataFrame, variable: Variable, where: str, arm_labels: Mapping[str, str]
) -> str:
    """A variable's codelist as the specification prints it: ``code = decode; ...``."""
    if variable.codelist in FLAG_VALUES:
        return "; ".join(f"{v} = {FLAG_DECODES[v]}" for v in FLAG_VALUES[variable.codelist])
    if variable.codelist == "arms":
        unknown = sorted(set(data[variable.name].dropna()) - set(arm_labels))
        if unknown:
            raise SubmissionError(f"{where} holds {unknown}, not arm codes of the configuration")
        return "; ".join(f"{code} = {label}" for code, label in arm_labels.items())
    if variable.codelist == "values":
        return _observed(data, variable, where)
    return ""


def _dataset_rows(
    name: str, data: pd.DataFrame, dataset: Dataset, arm_labels: Mapping[str, str]
) -> pd.DataFrame:
    table = xpt_frame(data, dataset)
    duplicated = data.duplicated(list(dataset.keys))
    if duplicated.any():
        first = data.loc[duplicated, list(dataset.keys)].iloc[0].to_dict()
        raise SubmissionError(f"{dataset.name}: the keys {first} identify more than one record")
    rows = [
        {
            "dataset": dataset.name,
            "dataset_label": dataset.label,
            "dataset_class": dataset.adam_class,
            "structure": dataset.structure,
            "keys": ", ".join(dataset.keys),
            "records": len(data),
            "file": f"{name}.xpt",
            "order": order,
            "variable": variable.name,
            "label": variable.label,
            "type": variable.type,
            "length": table.lengths[variable.name],
            "format": variable.format,
            "codelist": _codelist(data, variable, f"{dataset.name}.{variable.name}", arm_labels),
            "source": variable.source,
            "derivation": variable.derivation,
        }
        for order, variable in enumerate(dataset.variables, start=1)
    ]
    return pd.DataFrame(rows, columns=SPEC_COLUMNS)


def dataset_specification(
    datasets: Mapping[str, pd.DataFrame],
    arm_labels: Mapping[str, str],
    metadata: Mapping[str, Dataset] = DATASETS,
) -> pd.DataFrame:
    """The dataset specification: the metadata of every variable of every dataset,
    with the lengths and codelists the data give.

    Parameters
    ----------
    datasets
        The derived datasets by file name (``{"adsl": adsl, "adqs": adqs, ...}``).
    arm_labels
        Arm code: label, in the order of the configuration (the ``arms`` codelist).
    metadata
        The datasets' metadata by the same names (default: the analysis datasets').

    Returns
    -------
    DataFrame
        One row per dataset x variable, in the order of ``datasets`` and of each
        dataset's variables. Dataset-level columns: dataset (its name, e.g. ADSL),
        dataset_label, dataset_class (ADaM class), structure (what a record is), keys
        (the variables that identify a record), records (their number), file (the
        transport file's name). Variable-level columns: order (from 1), variable,
        label, type (Char or Num), length (bytes in the transport file), format
        (DATE9. for dates), codelist (``code = decode; ...``: Y/N flags, the arms of
        the configuration with their labels, or the distinct values in the data with
        their decodes, e.g. PARAMCD with PARAM; blank for free text and
        measurements), source (raw file and column, ``ADSL.<name>`` or the
        configuration) and derivation (in words).

    Raises
    ------
    SubmissionError
        As :func:`xpt_frame`; also when the keys do not identify records uniquely,
        when an arm code has no label, or a value has more than one decode.

    Examples
    --------
    >>> from rlstrial.derive import Dataset, Variable
    >>> meta = Dataset("ADX", "Example", "BASIC DATA STRUCTURE",
    ...     "One record per subject per parameter", ("USUBJID", "PARAMCD"),
    ...     (Variable("USUBJID", "Unique Subject Identifier", "Char", "As recorded."),
    ...      Variable("TRT01P", "Planned Treatment", "Char", "Arm code.", codelist="arms"),
    ...      Variable("PARAMCD", "Parameter Code", "Char", "Scale code.", codelist="values",
    ...               decode="PARAM"),
    ...      Variable("PARAM", "Parameter", "Char", "Scale label."),
    ...      Variable("AVAL", "Analysis Value", "Num", "The score.")))
    >>> data = pd.DataFrame({"USUBJID": ["P1", "P1", "P2"], "TRT01P": ["a", "a", "b"],
    ...     "PARAMCD": ["S2", "S1", "S1"], "PARAM": ["Scale 2", "Scale 1", "Scale 1"],
    ...     "AVAL": [1.5, 2.0, None]})
    >>> spec = dataset_specification({"adx": data}, {"a": "Arm A", "b": "Arm B"}, {"adx": meta})
    >>> spec[["variable", "type", "length", "codelist"]]
      variable  type  length                       codelist
    0  USUBJID  Char       2
    1   TRT01P  Char       1          a = Arm A; b = Arm B
    2  PARAMCD  Char       2  S1 = Scale 1; S2 = Scale 2
    3    PARAM  Char       7
    4     AVAL   Num       8
    """
    unknown = [name for name in datasets if name not in metadata]
    if unknown:
        raise SubmissionError(f"no metadata for the datasets {unknown}")
    tables = [
        _dataset_rows(name, data, metadata[name], arm_labels) for name, data in datasets.items()
    ]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=SPEC_COLUMNS)


#: The specification's columns as the document shows them.
DOCX_COLUMNS = {
    "variable": "Variable",
    "label": "Label",
    "type": "Type",
    "length": "Length",
    "format": "Format",
    "codelist": "Codelist",
    "source": "Source",
    "derivation": "Derivation",
}


def _docx_dataset(document, rows: pd.DataFrame, width: int, first: bool) -> None:
    """One dataset's part of the document: heading, dataset-level metadata, table."""
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    from rlstrial.tables import DOCX_TITLE_SIZE, _docx_table

    top = rows.iloc[0]
    heading = document.add_paragraph()
    if not first:
        heading.add_run().add_break(WD_BREAK.PAGE)
    heading.paragraph_format.keep_with_next = True
    run = heading.add_run(f"{top['dataset']}: {top['dataset_label']}")
    run.bold = True
    run.font.size = Pt(DOCX_TITLE_SIZE)
    facts = [
        ("Class", top["dataset_class"]),
        ("Structure", top["structure"]),
        ("Keys", top["keys"]),
        ("Records", f"{top['records']}; variables: {len(rows)}"),
        ("File", top["file"]),
    ]
    for k, (name, value) in enumerate(facts):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.keep_with_next = True
        paragraph.paragraph_format.space_after = Pt(6 if k == len(facts) - 1 else 0)
        paragraph.add_run(f"{name}: ").bold = True
        paragraph.add_run(str(value))
    display = rows[list(DOCX_COLUMNS)].rename(columns=DOCX_COLUMNS).astype(str)
    _docx_table(document, display.reset_index(drop=True), width, None)


def write_specification_docx(
    spec: pd.DataFrame, path: str | Path, title: str = "Analysis dataset specification"
) -> Path:
    """The specification (:func:`dataset_specification`) as a DOCX a reviewer opens.

    A landscape document: the title, then per dataset (each on a new page) its name
    and label, class, structure, keys, number of records and variables, file, and a
    three-line table of its variables (variable, label, type, length, format,
    codelist, source, derivation), in the style of the publication tables
    (:func:`rlstrial.tables.write_table_formats`). The file is byte-identical between
    runs: fixed document dates and fixed zip entry times.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, docx
    >>> from rlstrial.derive import Dataset, Variable
    >>> meta = Dataset("ADX", "Example", "BASIC DATA STRUCTURE", "One record per subject",
    ...     ("USUBJID",), (Variable("USUBJID", "Unique Subject Identifier", "Char", "-"),))
    >>> spec = dataset_specification({"adx": pd.DataFrame({"USUBJID": ["P1"]})}, {},
    ...     {"adx": meta})
    >>> path = write_specification_docx(spec, Path(tempfile.mkdtemp()) / "spec.docx")
    >>> document = docx.Document(path)
    >>> [cell.text for cell in document.tables[0].rows[1].cells][:4]
    ['USUBJID', 'Unique Subject Identifier', 'Char', '2']
    >>> document.core_properties.created.isoformat()
    '2000-01-01T00:00:00+00:00'
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from rlstrial.tables import DOCX_TITLE_SIZE, _docx_style, _fix_zip_timestamps

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = Document()
    properties = document.core_properties
    properties.created = properties.modified = FIXED_TIME
    properties.author = properties.last_modified_by = "rlstrial"
    properties.title = title
    _docx_style(document)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    heading = document.add_paragraph()
    heading.paragraph_format.space_after = Pt(12)
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(DOCX_TITLE_SIZE + 2)
    width = section.page_width - section.left_margin - section.right_margin
    for k, name in enumerate(pd.unique(spec["dataset"])):
        _docx_dataset(document, spec[spec["dataset"] == name], width, first=k == 0)
    document.save(path)
    _fix_zip_timestamps(path)
    return path


def write_submission(
    datasets: Mapping[str, pd.DataFrame],
    arm_labels: Mapping[str, str],
    folder: str | Path,
    *,
    metadata: Mapping[str, Dataset] = DATASETS,
    created: datetime = FIXED_TIME,
) -> dict[str, Path]:
    """Write the submission datasets and their specification into ``folder``.

    Each dataset as ``<name>.xpt`` (:func:`write_xpt`); the specification
    (:func:`dataset_specification`) as ``specification.csv`` and
    ``specification.docx``. Everything is checked before anything is written.

    Returns
    -------
    dict of Path
        By name: each dataset's (``adsl``, ...), then ``specification_csv`` and
        ``specification_docx``.

    Examples
    --------
    >>> import tempfile
    >>> from rlstrial.derive import Dataset, Variable
    >>> meta = Dataset("ADX", "Example", "BASIC DATA STRUCTURE", "One record per subject",
    ...     ("USUBJID",), (Variable("USUBJID", "Unique Subject Identifier", "Char", "-"),))
    >>> paths = write_submission({"adx": pd.DataFrame({"USUBJID": ["P1"]})}, {},
    ...     tempfile.mkdtemp(), metadata={"adx": meta})
    >>> [path.name for path in paths.values()]
    ['adx.xpt', 'specification.csv', 'specification.docx']
    """
    folder = Path(folder)
    spec = dataset_specification(datasets, arm_labels, metadata)
    paths = {
        name: write_xpt(data, metadata[name], folder / f"{name}.xpt", created=created)
        for name, data in datasets.items()
    }
    paths["specification_csv"] = folder / "specification.csv"
    write_table(spec, paths["specification_csv"])
    paths["specification_docx"] = write_specification_docx(spec, folder / "specification.docx")
    return paths
