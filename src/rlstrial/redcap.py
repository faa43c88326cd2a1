"""Importing a REDCap project's exports as the raw trial folder.

A trial whose data are collected in REDCap arrives as two exports: the data
dictionary (the project's metadata, one row per field) and the records (raw coded
values, one row per record, event and repeat instance; checkbox fields as
``field___code`` columns of 0/1; the status of each form as ``[form]_complete``,
0 Incomplete, 1 Unverified, 2 Complete). A mapping file (``config/redcap/mapping.yaml``,
described in ``config/redcap/README.md``) says which event is which visit and which
REDCap field fills which column of each raw file. :func:`redcap_to_raw` turns the
exports into the seven tables of the raw data contract (``docs/data-dictionary.md``),
as text, exactly as :func:`rlstrial.ingest.read_raw_file` reads the CSV files, so that
the rest of the workflow cannot tell where they came from.

Nothing is corrected, coerced or dropped. Every value is checked against the data
dictionary and the mapping, every finding is listed at once (:data:`LISTING_COLUMNS`:
the columns of the validation listing, :data:`rlstrial.validate.FINDING_COLUMNS`,
plus the REDCap ``record``, ``event``, ``instance`` and ``redcap_field``), and a
blocking finding (severity ``error``) stops the import before anything is written.

A form is taken as entered at a record's event (or repeat instance) when its status is
1 or 2 or any of its fields holds a value (an unchecked checkbox, 0, is no value:
REDCap exports it for every form, entered or not, as it exports status 0); only
Complete (2) forms are imported.

Rules
-----
byte_order_mark, utf16, not_utf8, nul_byte, delimiter, field_count, empty_file, ...
    How an export file reads (see :mod:`rlstrial.ingest`); a UTF-8 byte-order mark,
    which REDCap writes, is a warning here.
missing_column, unknown_column
    A column the dictionary or the mapping needs is not in an export; a records column
    that is no field of the dictionary (nor a special ``redcap_*`` or ``[form]_complete``
    column).
duplicate_field, choices
    The dictionary names a field twice; a choice that is not written ``code, label``.
unknown_field, unknown_form, mapping_value, mapping_config
    The mapping names a field or form that is not in the dictionary; maps codes that
    are not choices of the field, or gives raw values the contract does not allow
    (e.g. ``Female`` where sex is ``F`` or ``M``); names visits, instruments, items or
    arms that the configuration does not declare.
required, unmapped_event, invalid_repeat, duplicate_row
    A record without an identifier, or a blank field where the raw column requires a
    value; an event the mapping neither maps nor ignores (rows of events listed under
    ``ignore`` are not read nor checked); a repeat instrument that is not a form, or an
    instance that is not a positive whole number (repeating events are not supported);
    two rows with the same record, event, repeat instrument and instance (each listed).
not_a_choice, validation, out_of_range
    A value that is not one of the field's choices (a checkbox column holds 0 or 1), that
    does not have the form of its text validation (integer, number, number_Ndp,
    date_ymd; slider: a whole number), or that is outside its validation min and max.
incomplete_form
    A form the mapping imports that is entered but not marked Complete (2).
duplicate_participant, no_participant_id
    One participant identifier in two records; data for a raw file whose participant_id
    is required, in a record without a participant identifier.
unmapped_value, multiple_choices
    A coded value that the mapping's ``values`` do not translate; more than one box of a
    checkbox field ticked where the raw column holds one value.
unread_value
    Values the mapping does not read (a field or form not mapped at that event): listed
    once per field and event, with their number. List fields that are not needed under
    ``ignore`` in the mapping.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from rlstrial.ingest import ROW, finding, read_raw_file
from rlstrial.io import write_table
from rlstrial.rawdata import RAW_FILES
from rlstrial.validate import FINDING_COLUMNS, INTEGER, ISO_DATE, NUMBER

log = logging.getLogger(__name__)

VARIABLE = "Variable / Field Name"
FORM = "Form Name"
FIELD_TYPE = "Field Type"
CHOICES = "Choices, Calculations, OR Slider Labels"
VALIDATION = "Text Validation Type OR Show Slider Number"
VALIDATION_MIN = "Text Validation Min"
VALIDATION_MAX = "Text Validation Max"
#: The columns of a REDCap data dictionary export, in REDCap's order.
DICTIONARY_COLUMNS = (
    VARIABLE,
    FORM,
    "Section Header",
    FIELD_TYPE,
    "Field Label",
    CHOICES,
    "Field Note",
    VALIDATION,
    VALIDATION_MIN,
    VALIDATION_MAX,
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
DAG = "redcap_data_access_group"
SPECIAL_COLUMNS = (EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, DAG)
#: The query listing: the validation listing's columns, then where in REDCap.
LISTING_COLUMNS = [*FINDING_COLUMNS, "record", "event", "instance", "redcap_field"]
CHOICE_TYPES = ("radio", "dropdown", "checkbox")
FIXED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}
YES_NO = {"1": "yes", "0": "no"}
STATUS = {"": "has data but no status", "0": "Incomplete (0)", "1": "Unverified (1)"}
QUESTIONNAIRES = "questionnaires.csv"
SOURCES = ("participant_id", "data_access_group")
DECIMALS = re.compile(r"number_(\d)dp")


class MappingError(ValueError):
    """The mapping file is malformed; the message names every problem."""


class RedcapImportError(RuntimeError):
    """The REDCap exports have blocking findings; nothing was written.

    ``listing`` holds every finding (blocking or not), columns :data:`LISTING_COLUMNS`;
    the message names the first blocking ones.
    """

    def __init__(self, listing: pd.DataFrame, shown: int = 10):
        self.listing = listing
        errors = listing[listing["severity"] == "error"]
        lines = [_describe(f) for f in errors.head(shown).to_dict("records")]
        more = f"\n  ... and {len(errors) - shown} more" if len(errors) > shown else ""
        super().__init__(
            f"{len(errors)} blocking finding(s) in the REDCap export; nothing was written:\n  "
            + "\n  ".join(lines)
            + more
        )


def _describe(f: dict) -> str:
    """One finding as a line of text.

    Examples
    --------
    >>> _describe({"file": "records.csv", "row": 3, "record": "SCR-1", "event": "e1",
    ...            "instance": None, "field": "age", "value": "7", "message": "too young",
    ...            "rule": "out_of_range"})
    "records.csv row 3 (record SCR-1, event e1), field age, value '7': too young [out_of_range]"
    """
    where = [f"record {f['record']}"] if _given(f.get("record")) else []
    where += [f"event {f['event']}"] if _given(f.get("event")) else []
    where += [f"instance {f['instance']}"] if _given(f.get("instance")) else []
    row = f" row {f['row']}" if _given(f.get("row")) else ""
    context = f" ({', '.join(where)})" if where else ""
    return (
        f"{f['file']}{row}{context}, field {f['field'] or '-'}, value {f['value']!r}:"
        f" {f['message']} [{f['rule']}]"
    )


def _given(value: Any) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and pd.isna(value))
        and (value is not pd.NA)
    )


# --- the mapping ---------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    """Where one raw column's values come from.

    ``field`` is a REDCap field read from the same row; ``source`` instead names a
    value of the record (``participant_id``: the record's participant identifier;
    ``data_access_group``: its data access group). ``values`` translates codes:
    ``"label"`` (the choice label), ``"code"`` (as exported), a dict from code to raw
    value, or None for the field type's default (yes/no for yesno and truefalse fields,
    the label for radio, dropdown and checkbox fields, the value as entered otherwise).
    """

    column: str
    field: str | None = None
    source: str | None = None
    values: str | dict[str, str] | None = None


@dataclass(frozen=True)
class FormRead:
    """What one part of the mapping reads: a form at some events, and its fields."""

    name: str  # where in the mapping, for messages
    form: str
    events: tuple[str, ...]
    repeating: bool
    fields: tuple[str, ...]


@dataclass(frozen=True)
class FileMap:
    """How one raw file (other than questionnaires.csv) is read: one row per entered
    ``form`` at ``events`` (per repeat instance when ``repeating``), in the export's
    order, then sorted (stably) by the raw columns ``order_by``."""

    name: str
    form: str
    events: tuple[str, ...]
    columns: tuple[ColumnMap, ...]
    repeating: bool = False
    order_by: tuple[str, ...] = ()

    @property
    def read(self) -> FormRead:
        fields = tuple(c.field for c in self.columns if c.field is not None)
        return FormRead(f"files.{self.name}", self.form, self.events, self.repeating, fields)


@dataclass(frozen=True)
class InstrumentMap:
    """How one questionnaire's rows of questionnaires.csv are read: one row per item of
    each entered ``form`` at ``events`` (the visit is the event's)."""

    code: str
    form: str
    assessment_date: str
    items: tuple[tuple[str, str], ...]  # (item number, field)
    events: tuple[str, ...]

    @property
    def read(self) -> FormRead:
        fields = (self.assessment_date, *(name for _, name in self.items))
        where = f"files.{QUESTIONNAIRES}.instruments.{self.code}"
        return FormRead(where, self.form, self.events, False, fields)


@dataclass(frozen=True)
class RedcapMapping:
    """A validated mapping (see :func:`load_mapping`)."""

    source: str
    participant_event: str
    participant_field: str
    events: dict[str, str | None]  # every mapped event -> its visit code, or None
    files: dict[str, FileMap]  # every raw file but questionnaires.csv
    instruments: tuple[InstrumentMap, ...]
    ignore_events: tuple[str, ...] = ()
    ignore_forms: tuple[str, ...] = ()
    ignore_fields: tuple[str, ...] = ()

    @property
    def reads(self) -> list[FormRead]:
        return [spec.read for spec in self.files.values()] + [i.read for i in self.instruments]

    def visit(self, event: str) -> str | None:
        """The visit code of ``event`` (None when it is not a visit)."""
        return self.events.get(event)


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (which plain
    YAML loading would silently resolve to the last)."""

    def construct_mapping(self, node, deep=False):
        keys = [str(self.construct_object(key, deep=deep)) for key, _ in node.value]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"key(s) given twice: {', '.join(twice)}", node.start_mark
            )
        return super().construct_mapping(node, deep)


def load_mapping(path: str | Path) -> RedcapMapping:
    """Read and validate a REDCap mapping file (YAML).

    Parameters
    ----------
    path
        The mapping, e.g. ``config/redcap/mapping.yaml``; its structure is described in
        ``config/redcap/README.md`` and checked by :func:`parse_mapping`.

    Returns
    -------
    RedcapMapping

    Raises
    ------
    MappingError
        Naming every problem of the file (not YAML, a key given twice, an unknown
        setting, a raw column without a source, ...).

    Examples
    --------
    >>> mapping = load_mapping("config/redcap/mapping.yaml")
    >>> mapping.visit("week_4_arm_1"), mapping.files["randomization.csv"].form
    ('WEEK4', 'randomization')
    """
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise MappingError(f"{path}: not valid YAML: {error}") from None
    return parse_mapping(data, source=path.name)


def parse_mapping(data: Any, source: str = "mapping") -> RedcapMapping:
    """Validate a mapping given as plain data (the content of a mapping file).

    Parameters
    ----------
    data
        A dict with ``participant_id`` (``{event, field}``: where the participant
        identifier is entered), ``events`` (every event: ``{}`` or ``{visit: CODE}``),
        ``files`` (one entry per raw file) and optionally ``ignore`` (``events``,
        ``forms``, ``fields`` deliberately not imported).
    source
        The mapping's name in messages and in the query listing.

    Raises
    ------
    MappingError
        Naming every problem.

    Examples
    --------
    >>> parse_mapping({"participant_id": {"event": "base"}, "events": {"base": {}},
    ...                "file": {}}, source="my.yaml")
    Traceback (most recent call last):
    ...
    rlstrial.redcap.MappingError: my.yaml: the REDCap mapping has 3 problem(s):
      'file' is not a setting (choices: participant_id, events, ignore, files);
      did you mean 'files'?
      'files' is required
      participant_id: 'field' is required
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingError(f"{source}: the top level must be a mapping of keys to values")
    problems += _keys("", data, ("participant_id", "events", "ignore", "files"))
    problems += _required("", data, ("participant_id", "events", "files"))
    events = _parse_events(data.get("events"), problems)
    participant = _parse_participant(data.get("participant_id"), events, problems)
    ignore = _parse_ignore(data.get("ignore"), events, problems)
    files, instruments = _parse_files(data.get("files"), events, problems)
    if problems:
        raise MappingError(
            f"{source}: the REDCap mapping has {len(problems)} problem(s):\n  "
            + "\n  ".join(problems)
        )
    return RedcapMapping(source, *participant, events, files, instruments, *ignore)


def _keys(where: str, node: dict, allowed: tuple[str, ...]) -> list[str]:
    """A problem per key of ``node`` that is not in ``allowed``."""
    problems = []
    prefix = f"{where}: " if where else ""
    for key in node:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"{prefix}{key!r} is not a setting (choices: {', '.join(allowed)}){hint}"
            )
    return problems


def _required(where: str, node: dict, keys: tuple[str, ...]) -> list[str]:
    prefix = f"{where}: " if where else ""
    return [f"{prefix}{key!r} is required" for key in keys if key not in node]


def _mapping(where: str, node: Any, problems: list[str]) -> dict:
    """``node`` when it is a mapping (None: empty), else a problem and an empty one."""
    if node is None:
        return {}
    if not isinstance(node, dict):
        problems.append(f"{where}: must be a mapping of keys to values")
        return {}
    return node


def _text(where: str, value: Any, problems: list[str]) -> str:
    """``value`` as text (whole numbers too), else a problem naming it."""
    if isinstance(value, bool) or value is None:
        problems.append(
            f"{where}: {value!r} is not text; quote values such as yes, no, on, off and"
            " null, which YAML reads as booleans or nothing"
        )
        return ""
    if isinstance(value, int | str):
        return str(value)
    problems.append(f"{where}: {value!r} is not text")
    return ""


def _texts(where: str, node: Any, problems: list[str]) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        problems.append(f"{where}: must be a list")
        return ()
    return tuple(_text(f"{where}[{k}]", value, problems) for k, value in enumerate(node))


def _parse_events(node: Any, problems: list[str]) -> dict[str, str | None]:
    events = {}
    for event, spec in _mapping("events", node, problems).items():
        where = f"events.{event}"
        spec = _mapping(where, spec, problems)
        problems += _keys(where, spec, ("visit",))
        visit = spec.get("visit")
        events[str(event)] = None if visit is None else _text(f"{where}.visit", visit, problems)
    return events


def _parse_participant(node: Any, events: dict, problems: list[str]) -> tuple[str, str]:
    node = _mapping("participant_id", node, problems)
    problems += _keys("participant_id", node, ("event", "field"))
    problems += _required("participant_id", node, ("event", "field"))
    event = _text("participant_id.event", node.get("event", ""), problems)
    if event and events and event not in events:
        problems.append(f"participant_id.event: {event!r} is not one of the mapping's events")
    return event, _text("participant_id.field", node.get("field", ""), problems)


def _parse_ignore(node: Any, events: dict, problems: list[str]) -> tuple[tuple[str, ...], ...]:
    node = _mapping("ignore", node, problems)
    problems += _keys("ignore", node, ("events", "forms", "fields"))
    lists = tuple(_texts(f"ignore.{key}", node.get(key), problems) for key in ("events",))
    both = sorted(set(lists[0]) & set(events))
    if both:
        problems.append(f"ignore.events: {', '.join(both)} also mapped under events")
    return (
        lists[0],
        _texts("ignore.forms", node.get("forms"), problems),
        _texts("ignore.fields", node.get("fields"), problems),
    )


def _parse_files(
    node: Any, events: dict, problems: list[str]
) -> tuple[dict[str, FileMap], tuple[InstrumentMap, ...]]:
    files, instruments = {}, ()
    if node is None:  # 'files' is required: listed already
        return files, instruments
    node = _mapping("files", node, problems)
    problems += _keys("files", node, tuple(RAW_FILES))
    for name in RAW_FILES:
        if name not in node:
            problems.append(f"files: {name!r} is missing; every raw file needs its source")
        elif name == QUESTIONNAIRES:
            instruments = _parse_questionnaires(node[name], events, problems)
        else:
            files[name] = _parse_file(name, node[name], events, problems)
    return files, instruments


def _parse_event_list(where: str, node: dict, events: dict, problems: list[str]) -> tuple:
    """The events of a file entry: ``event: one`` or ``events: [several]``."""
    if ("event" in node) == ("events" in node):
        problems.append(f"{where}: give either 'event' or 'events'")
        return ()
    if "event" in node:
        chosen = (_text(f"{where}.event", node["event"], problems),)
    else:
        chosen = _texts(f"{where}.events", node["events"], problems)
    problems += [
        f"{where}: event {event!r} is not one of the mapping's events"
        for event in chosen
        if event and event not in events
    ]
    return chosen


def _parse_file(name: str, node: Any, events: dict, problems: list[str]) -> FileMap:
    where = f"files.{name}"
    node = _mapping(where, node, problems)
    problems += _keys(where, node, ("form", "event", "events", "repeating", "order_by", "columns"))
    problems += _required(where, node, ("form", "columns"))
    chosen = _parse_event_list(where, node, events, problems)
    repeating = node.get("repeating", False)
    if not isinstance(repeating, bool):
        problems.append(f"{where}.repeating: must be true or false")
    contract = RAW_FILES[name].column_names
    order_by = _texts(f"{where}.order_by", node.get("order_by"), problems)
    problems += [
        f"{where}.order_by: {column!r} is not a column of {name} ({', '.join(contract)})"
        for column in order_by
        if column not in contract
    ]
    return FileMap(
        name,
        _text(f"{where}.form", node.get("form", ""), problems),
        chosen,
        _parse_columns(f"{where}.columns", name, node.get("columns"), problems),
        repeating is True,
        order_by,
    )


def _parse_columns(where: str, name: str, node: Any, problems: list[str]) -> tuple:
    node = _mapping(where, node, problems)
    contract = RAW_FILES[name].column_names
    problems += _keys(where, node, tuple(contract))
    problems += [
        f"{where}: {column!r} is missing; every column of {name} needs a source"
        for column in contract
        if column not in node
    ]
    return tuple(
        _parse_column(f"{where}.{column}", column, node[column], problems)
        for column in contract
        if column in node
    )


def _parse_column(where: str, column: str, node: Any, problems: list[str]) -> ColumnMap:
    """A column's source: a field name, or ``{field or source, values}``."""
    if not isinstance(node, dict):
        return ColumnMap(column, field=_text(where, node, problems))
    problems += _keys(where, node, ("field", "source", "values"))
    if ("field" in node) == ("source" in node):
        problems.append(f"{where}: give either 'field' (a REDCap field) or 'source'")
    source = node.get("source")
    if source is not None and source not in SOURCES:
        problems.append(f"{where}.source: {source!r} is not one of {', '.join(SOURCES)}")
    name = node.get("field")
    return ColumnMap(
        column,
        field=None if name is None else _text(f"{where}.field", name, problems),
        source=source,
        values=_parse_values(f"{where}.values", node.get("values"), problems),
    )


def _parse_values(where: str, node: Any, problems: list[str]) -> str | dict[str, str] | None:
    if node is None:
        return None
    if isinstance(node, str):
        if node not in ("label", "code"):
            problems.append(f"{where}: {node!r} is not label, code or a map of codes")
        return node
    if not isinstance(node, dict):
        problems.append(f"{where}: must be label, code or a map from codes to raw values")
        return None
    return {
        _text(f"{where} (a code)", code, problems): _text(f"{where}.{code}", value, problems)
        for code, value in node.items()
    }


def _parse_questionnaires(node: Any, events: dict, problems: list[str]) -> tuple:
    where = f"files.{QUESTIONNAIRES}"
    node = _mapping(where, node, problems)
    problems += _keys(where, node, ("instruments",))
    problems += _required(where, node, ("instruments",))
    instruments = _mapping(f"{where}.instruments", node.get("instruments"), problems)
    return tuple(
        _parse_instrument(f"{where}.instruments.{code}", str(code), spec, events, problems)
        for code, spec in instruments.items()
    )


def _parse_instrument(
    where: str, code: str, node: Any, events: dict, problems: list[str]
) -> InstrumentMap:
    node = _mapping(where, node, problems)
    problems += _keys(where, node, ("form", "events", "assessment_date", "items"))
    problems += _required(where, node, ("form", "assessment_date", "items"))
    visits = tuple(event for event, visit in events.items() if visit is not None)
    chosen = _texts(f"{where}.events", node.get("events"), problems) or visits
    problems += [
        f"{where}.events: {event!r} is not an event mapped to a visit"
        for event in chosen
        if event not in visits
    ]
    items = []
    for item, name in _mapping(f"{where}.items", node.get("items"), problems).items():
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            problems.append(f"{where}.items: {item!r} is not an item number (1, 2, ...)")
        items.append((str(item), _text(f"{where}.items.{item}", name, problems)))
    return InstrumentMap(
        code,
        _text(f"{where}.form", node.get("form", ""), problems),
        _text(f"{where}.assessment_date", node.get("assessment_date", ""), problems),
        tuple(items),
        chosen,
    )


# --- the data dictionary -------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field of the data dictionary."""

    name: str
    form: str
    type: str
    choices: dict[str, str]  # code -> label (radio, dropdown, checkbox, yesno, truefalse)
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    row: int | None = None

    @property
    def columns(self) -> list[str]:
        """The field's columns in the records export (none for descriptive text).

        Examples
        --------
        >>> Field("med", "base", "checkbox", {"1": "iron", "2": "opioid"}).columns
        ['med___1', 'med___2']
        """
        if self.type == "checkbox":
            return [checkbox_column(self.name, code) for code in self.choices]
        if self.type == "descriptive":
            return []
        return [self.name]


def checkbox_column(name: str, code: str) -> str:
    """The records column of one choice of a checkbox field, as REDCap names it.

    Examples
    --------
    >>> checkbox_column("rls_med_class", "2"), checkbox_column("x", "-1")
    ('rls_med_class___2', 'x____1')
    """
    return f"{name}___{re.sub(r'[^a-z0-9_]', '_', code.lower())}"


def parse_choices(text: str) -> tuple[dict[str, str], list[str]]:
    """The choices of a radio, dropdown or checkbox field: ``code, label | ...``.

    Returns
    -------
    choices : dict
        Code to label, in order.
    malformed : list of str
        The parts that are not ``code, label``.

    Examples
    --------
    >>> parse_choices("1, Female | 2, Male, or other")
    ({'1': 'Female', '2': 'Male, or other'}, [])
    >>> parse_choices("1, Yes | No")
    ({'1': 'Yes'}, ['No'])
    """
    choices, malformed = {}, []
    for part in text.split("|"):
        code, comma, label = part.partition(",")
        if not comma or not code.strip():
            malformed.append(part.strip())
            continue
        choices[code.strip()] = label.strip()
    return choices, malformed


def _dictionary_fields(dictionary: pd.DataFrame, file: str) -> tuple[dict, list[dict], bool]:
    """The fields of the dictionary, its findings, and whether it cannot be used."""
    missing = [c for c in DICTIONARY_COLUMNS if c not in dictionary.columns]
    findings = [
        _finding("missing_column", file, "column missing from the data dictionary", field=c, row=1)
        for c in missing
    ]
    if {VARIABLE, FORM, FIELD_TYPE} & set(missing) or dictionary.empty:
        if dictionary.empty:
            findings.append(_finding("missing_column", file, "the dictionary has no fields", row=1))
        return {}, findings, True
    fields = {}
    for record in dictionary.to_dict("records"):
        name, kind, row = record[VARIABLE], record[FIELD_TYPE], int(record[ROW])
        choices, malformed = {}, []
        if kind in CHOICE_TYPES:
            choices, malformed = parse_choices(record.get(CHOICES, ""))
        context = {"row": row, "redcap_field": name, "field": CHOICES}
        findings += [
            _finding("choices", file, "a choice must be written 'code, label'", value=p, **context)
            for p in malformed
        ]
        if name in fields:
            message = f"field defined twice (also on line {fields[name].row})"
            findings.append(
                _finding("duplicate_field", file, message, **{**context, "field": VARIABLE})
            )
            continue
        fields[name] = Field(
            name,
            record[FORM],
            kind,
            FIXED_CHOICES.get(kind, choices),
            record.get(VALIDATION, ""),
            record.get(VALIDATION_MIN, ""),
            record.get(VALIDATION_MAX, ""),
            row,
        )
    return fields, findings, False


# --- reading the exports -------------------------------------------------------------


def read_redcap_project(
    dictionary_path: str | Path, records_path: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a REDCap project's data dictionary and records exports as text.

    The files are only read. Every field is kept as written (no type guessing, no
    missing-value conversion), with its line number in ``_row`` (the header is line
    1), as :func:`rlstrial.ingest.read_raw_file` reads raw files. Each table's
    ``attrs`` hold its file name (``"file"``) and the findings reading it produced
    (``"findings"``: encoding, separator, field counts), which :func:`check_redcap`
    lists.

    Returns
    -------
    dictionary, records : DataFrame

    Examples
    --------
    >>> dictionary, records = read_redcap_project(
    ...     "data/redcap/data_dictionary.csv", "data/redcap/records.csv")
    >>> dictionary.loc[0, "Variable / Field Name"], records.attrs["file"]
    ('record_id', 'records.csv')
    """
    tables = []
    for path in (dictionary_path, records_path):
        table = read_raw_file(path)
        for issue in table.findings:  # REDCap writes a byte-order mark; it is harmless
            if issue["rule"] == "byte_order_mark":
                issue["severity"] = "warning"
        table.data.attrs = {"file": table.name, "findings": table.findings}
        tables.append(table.data)
    return tables[0], tables[1]


def export_sha256(paths: Iterable[str | Path]) -> pd.DataFrame:
    """SHA-256 and size of each export file, in the format of
    :func:`rlstrial.ingest.sha256_manifest` (so that
    :func:`rlstrial.ingest.compare_manifests` compares them).

    Examples
    --------
    >>> export_sha256(["data/redcap/data_dictionary.csv"]).columns.tolist()
    ['file', 'bytes', 'sha256']
    """
    rows = []
    for path in map(Path, paths):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        rows.append({"file": path.name, "bytes": len(content), "sha256": digest})
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


# --- the import ----------------------------------------------------------------------


def _finding(
    rule: str,
    file: str,
    message: str,
    *,
    record: str | None = None,
    event: str | None = None,
    instance: str | None = None,
    redcap_field: str | None = None,
    **where: Any,
) -> dict:
    """One entry of the query listing (:data:`LISTING_COLUMNS`)."""
    return {
        **finding(rule, file, message, **where),
        "record": record,
        "event": event,
        "instance": instance or None,
        "redcap_field": redcap_field,
    }


@dataclass
class _Project:
    """The exports and the mapping, with what the checks look up."""

    fields: dict[str, Field]
    records: pd.DataFrame
    mapping: RedcapMapping
    dictionary_file: str
    records_file: str
    participants: dict[str, str] = field(default_factory=dict)

    @property
    def record_id(self) -> str:
        """The record identifier: the dictionary's first field, as in REDCap."""
        return next(iter(self.fields))

    @property
    def forms(self) -> set[str]:
        return {f.form for f in self.fields.values()}

    @property
    def checkbox_columns(self) -> set[str]:
        return {c for f in self.fields.values() if f.type == "checkbox" for c in f.columns}

    def form_columns(self, form: str) -> list[str]:
        """The records columns of a form's fields (not the record identifier)."""
        return [
            column
            for f in self.fields.values()
            if f.form == form and f.name != self.record_id
            for column in f.columns
            if column in self.records.columns
        ]

    def analysed(self) -> pd.DataFrame:
        """The rows of mapped events (not ignored, not unmapped)."""
        return self.records[self.records[EVENT].isin(self.mapping.events)]

    def at_rows(
        self,
        rows: pd.DataFrame,
        rule: str,
        message,
        column: str,
        values: pd.Series | None = None,
        *,
        redcap_field: str | None = None,
        severity: str = "error",
    ) -> list[dict]:
        """A finding for each of ``rows``; ``message`` is text or a function of the row."""
        found = []
        for index, record in zip(rows.index, rows.to_dict("records"), strict=True):
            event = record[EVENT]
            found.append(
                _finding(
                    rule,
                    self.records_file,
                    message(record) if callable(message) else message,
                    row=int(record[ROW]),
                    record=record[self.record_id],
                    event=event,
                    instance=record[REPEAT_INSTANCE],
                    participant=self.participants.get(record[self.record_id]),
                    visit=self.mapping.visit(event),
                    field=column,
                    redcap_field=redcap_field or column,
                    value=record.get(column, "") if values is None else values[index],
                    severity=severity,
                )
            )
        return found


def check_redcap(
    dictionary: pd.DataFrame,
    records: pd.DataFrame,
    mapping: RedcapMapping,
    config: dict | None = None,
) -> pd.DataFrame:
    """Check REDCap exports against their dictionary and the mapping; list every finding.

    Parameters
    ----------
    dictionary, records
        The exports as text (:func:`read_redcap_project`, or literal tables of strings;
        without a ``_row`` column, row k is line k + 2).
    mapping
        The mapping (:func:`load_mapping`).
    config
        A validated configuration: when given, the mapping's visits, instruments, items
        and arm codes are checked against it too.

    Returns
    -------
    DataFrame
        The query listing, columns :data:`LISTING_COLUMNS`: the mapping's findings
        first, then the dictionary's, then the records' by line. ``row`` is the line in
        the file (header = 1), ``field`` the column of that file (for the mapping, the
        setting), ``record``, ``event`` and ``instance`` say where in REDCap,
        ``redcap_field`` names the dictionary field. Severity ``error`` blocks the import.

    Examples
    --------
    >>> dictionary, records = read_redcap_project(
    ...     "data/redcap/data_dictionary.csv", "data/redcap/records.csv")
    >>> listing = check_redcap(dictionary, records, load_mapping("config/redcap/mapping.yaml"))
    >>> listing.empty
    True
    """
    return _run(dictionary, records, mapping, config)[1]


def redcap_to_raw(
    dictionary: pd.DataFrame, records: pd.DataFrame, mapping: RedcapMapping, config: dict
) -> dict[str, pd.DataFrame]:
    """The seven raw tables of a REDCap project, as the workflow reads raw CSV files.

    Parameters
    ----------
    dictionary, records
        The exports as text (:func:`read_redcap_project`).
    mapping
        The mapping (:func:`load_mapping`).
    config
        A validated configuration: the mapping's visits, instruments, items and arm
        codes must be declared in it.

    Returns
    -------
    dict of DataFrame
        Keyed by raw file name; the columns of :data:`rlstrial.rawdata.RAW_FILES`, every
        value text (empty for missing) as in the raw CSV files: a row per entered form,
        in the order of the records export (questionnaires: a row per item), then
        sorted by the mapping's ``order_by``.

    Raises
    ------
    RedcapImportError
        When the checks (:func:`check_redcap`) find anything blocking; its ``listing``
        holds every finding.

    Examples
    --------
    >>> from rlstrial.config import load_config
    >>> tables = redcap_to_raw(*read_redcap_project(
    ...     "data/redcap/data_dictionary.csv", "data/redcap/records.csv"),
    ...     load_mapping("config/redcap/mapping.yaml"), load_config("config/config.yaml"))
    >>> tables["randomization.csv"].iloc[0].tolist()
    ['S02-001', 'S02', 'S02:severe', '2024-02-05', 'combined']
    """
    tables, listing = _run(dictionary, records, mapping, config)
    if tables is None or (listing["severity"] == "error").any():
        raise RedcapImportError(listing)
    return tables


def write_raw_tables(tables: dict[str, pd.DataFrame], folder: str | Path) -> None:
    """Write the raw tables (:func:`redcap_to_raw`) as the raw folder's CSV files.

    UTF-8 without byte-order mark, LF line ends (:func:`rlstrial.io.write_table`): the
    same bytes as a raw folder written by ``rlstrial simulate``.

    Examples
    --------
    >>> import tempfile
    >>> from rlstrial.ingest import read_raw_folder
    >>> folder = Path(tempfile.mkdtemp())
    >>> tables, _ = read_raw_folder("data/park2020/raw")
    >>> write_raw_tables({n: t.data.drop(columns="_row") for n, t in tables.items()}, folder)
    >>> (folder / "disposition.csv").read_bytes() == Path(
    ...     "data/park2020/raw/disposition.csv").read_bytes()
    True
    """
    missing = [name for name in RAW_FILES if name not in tables]
    if missing:
        raise ValueError(f"no table for {', '.join(missing)}")
    for name in RAW_FILES:
        write_table(tables[name][RAW_FILES[name].column_names], Path(folder) / name)


def import_redcap(
    dictionary_path: str | Path,
    records_path: str | Path,
    mapping_path: str | Path,
    config: dict,
    folder: str | Path,
    listing_path: str | Path,
    manifest_path: str | Path,
) -> pd.DataFrame:
    """Import REDCap exports as a raw trial folder: the workflow's import stage.

    Records the SHA-256 of the exports (``manifest_path``), reads and checks them, and
    writes the seven raw CSV files into ``folder`` and the query listing (warnings
    only) to ``listing_path``. With a blocking finding, nothing is written: the full
    listing goes to the log (as CSV) and :class:`RedcapImportError` is raised.

    Returns
    -------
    DataFrame
        The query listing.

    Examples
    --------
    >>> import tempfile
    >>> from rlstrial.config import load_config
    >>> out = Path(tempfile.mkdtemp())
    >>> listing = import_redcap("data/redcap/data_dictionary.csv", "data/redcap/records.csv",
    ...     "config/redcap/mapping.yaml", load_config("config/config.yaml"), out / "raw",
    ...     out / "redcap_queries.csv", out / "redcap_sha256.csv")
    >>> sorted(p.name for p in (out / "raw").iterdir())[:3], len(listing)
    (['adherence.csv', 'adverse_events.csv', 'baseline.csv'], 0)
    """
    manifest = export_sha256([dictionary_path, records_path])
    dictionary, records = read_redcap_project(dictionary_path, records_path)
    mapping = load_mapping(mapping_path)
    tables, listing = _run(dictionary, records, mapping, config)
    if tables is None or (listing["severity"] == "error").any():
        log.error("REDCap query listing:\n%s", listing.to_csv(index=False, lineterminator="\n"))
        raise RedcapImportError(listing)
    write_raw_tables(tables, folder)
    write_table(listing, listing_path)
    write_table(manifest, manifest_path)
    log.info(
        "imported %d REDCap records into %s (%d warning(s)); sha256 of the exports in %s",
        records[EVENT].count(),
        folder,
        len(listing),
        manifest_path,
    )
    return listing


def _with_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A text table with its line numbers (``_row``), added when a literal table has none."""
    if ROW in table.columns:
        return table.reset_index(drop=True)
    return table.reset_index(drop=True).assign(**{ROW: lambda t: t.index + 2})


def _run(dictionary, records, mapping, config) -> tuple[dict | None, pd.DataFrame]:
    """Every check, and the raw tables (None when the exports cannot be read at all)."""
    files = {
        "dictionary": dictionary.attrs.get("file", "data_dictionary.csv"),
        "records": records.attrs.get("file", "records.csv"),
    }
    findings = [*dictionary.attrs.get("findings", []), *records.attrs.get("findings", [])]
    findings = [
        {**f, "record": None, "event": None, "instance": None, "redcap_field": None}
        for f in findings
    ]
    fields, found, fatal = _dictionary_fields(_with_rows(dictionary), files["dictionary"])
    findings += found
    rank = [mapping.source, files["dictionary"], files["records"]]
    if fatal:
        return None, _listing(findings, rank)
    project = _Project(fields, _with_rows(records), mapping, files["dictionary"], files["records"])
    findings += _check_mapping(project)
    found, fatal = _check_columns(project)
    findings += found
    if fatal:
        return None, _listing(findings, rank)
    project.records = _fill_special(project.records)
    participants, found = _participants(project)
    project.participants = participants
    findings += found + _check_rows(project) + _check_values(project)
    tables, found, marks = _build_tables(project)
    findings += found + _check_unread(project, marks)
    if config is not None:
        findings += _check_config(project, config)
    return tables, _listing(findings, rank)


def _listing(findings: list[dict], rank: list[str]) -> pd.DataFrame:
    """The findings as the query listing, without repeats, by file, line, rule, field."""
    listing = pd.DataFrame(findings, columns=LISTING_COLUMNS)
    listing["row"] = listing["row"].astype("Int64")
    listing = listing.drop_duplicates(ignore_index=True)
    order = listing.assign(_rank=listing["file"].map({f: k for k, f in enumerate(rank)}))
    order = order.sort_values(["_rank", "row", "rule", "field"], kind="stable", na_position="first")
    return listing.loc[order.index].reset_index(drop=True)


def _fill_special(records: pd.DataFrame) -> pd.DataFrame:
    """Records with every special column (blank when the export has none of it)."""
    missing = {column: "" for column in SPECIAL_COLUMNS if column not in records.columns}
    return records.assign(**missing) if missing else records


def _column(rows: pd.DataFrame, name: str | None) -> pd.Series:
    """A records column of ``rows`` (blank when the export lacks it)."""
    if name is not None and name in rows.columns:
        return rows[name]
    return pd.Series("", index=rows.index, dtype="str")


# --- checks of the mapping against the dictionary and the configuration -----------------


def _references(mapping: RedcapMapping) -> Iterable[tuple[str, str, str, tuple]]:
    """Every field and form the mapping names: (kind, name, where, events)."""
    yield "field", mapping.participant_field, "participant_id.field", (mapping.participant_event,)
    for read in mapping.reads:
        yield "form", read.form, f"{read.name}.form", read.events
    for spec in mapping.files.values():
        for column in spec.columns:
            if column.field is not None:
                where = f"files.{spec.name}.columns.{column.column}"
                yield "field", column.field, where, spec.events
    for instrument in mapping.instruments:
        read = instrument.read
        for name in read.fields:
            yield "field", name, read.name, read.events
    for name in mapping.ignore_forms:
        yield "form", name, "ignore.forms", ()
    for name in mapping.ignore_fields:
        yield "field", name, "ignore.fields", ()


def _check_mapping(project: _Project) -> list[dict]:
    """Fields and forms the dictionary lacks; codes and raw values the mapping gives."""
    mapping = project.mapping
    findings = []
    for kind, name, where, events in _references(mapping):
        known = project.fields if kind == "field" else project.forms
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        findings.append(
            _finding(
                f"unknown_{kind}",
                mapping.source,
                f"{kind} {name!r} is not in the data dictionary{hint}",
                field=where,
                value=name,
                event=",".join(events) or None,
                redcap_field=name if kind == "field" else None,
            )
        )
    for spec in mapping.files.values():
        for column in spec.columns:
            findings += _check_column_values(project, spec, column)
    return findings


def _outputs(project: _Project, column: ColumnMap) -> set[str] | None:
    """The raw values a column can take (None: free text)."""
    if isinstance(column.values, dict):
        return set(column.values.values())
    source = project.fields.get(column.field)
    if source is None:
        return None
    table = _value_table(source, column.values)
    return None if table is None else set(table.values())


def _check_column_values(project: _Project, spec: FileMap, column: ColumnMap) -> list[dict]:
    """Codes of ``values`` that are not choices; raw values the contract does not allow."""
    where = f"files.{spec.name}.columns.{column.column}"
    source = project.fields.get(column.field)
    context = {
        "field": where,
        "event": ",".join(spec.events),
        "redcap_field": column.field or column.source,
    }
    findings = []
    if source is not None and isinstance(column.values, dict) and source.choices:
        findings += [
            _finding(
                "mapping_value",
                project.mapping.source,
                f"code {code!r} is not a choice of {source.name} ({_choice_text(source)})",
                value=code,
                **context,
            )
            for code in column.values
            if code not in source.choices
        ]
    if source is not None and column.values == "label" and not source.choices:
        message = f"values: label, but {source.name} ({source.type}) has no choices"
        findings.append(_finding("mapping_value", project.mapping.source, message, **context))
    allowed = next(c.allowed for c in RAW_FILES[spec.name].columns if c.name == column.column)
    outputs = _outputs(project, column)
    if allowed and outputs is not None:
        findings += [
            _finding(
                "mapping_value",
                project.mapping.source,
                f"gives {value!r}, which is not a value of {spec.name} {column.column}"
                f" ({', '.join(allowed)}); translate the codes with values: {{code: value}}",
                value=value,
                **context,
            )
            for value in sorted(outputs - set(allowed))
        ]
    return findings


def _choice_text(source: Field) -> str:
    """The choices as the dictionary writes them.

    Examples
    --------
    >>> _choice_text(Field("sex", "f", "radio", {"1": "Female", "2": "Male"}))
    '1, Female | 2, Male'
    """
    return " | ".join(f"{code}, {label}" for code, label in source.choices.items())


def _check_config(project: _Project, config: dict) -> list[dict]:
    """Visits, instruments, items and arm codes the configuration does not declare."""
    mapping = project.mapping
    problems = []  # (message, where in the mapping, value, event)
    visits = [visit["code"] for visit in config["visits"]]
    problems += [
        (f"visit is not in config visits ({', '.join(visits)})", f"events.{event}", visit, event)
        for event, visit in mapping.events.items()
        if visit is not None and visit not in visits
    ]
    for instrument in mapping.instruments:
        problems += _instrument_problems(instrument, config["instruments"])
    arms = {arm["code"] for arm in config["arms"]} | set(config.get("arm_aliases", {}))
    column = next(c for c in mapping.files["randomization.csv"].columns if c.column == "arm")
    problems += [
        (
            f"{value!r} is not an arm code or alias in config ({', '.join(sorted(arms))})",
            "files.randomization.csv.columns.arm",
            value,
            None,
        )
        for value in sorted((_outputs(project, column) or set()) - arms)
    ]
    return [
        _finding("mapping_config", mapping.source, message, field=where, value=value, event=event)
        for message, where, value, event in problems
    ]


def _instrument_problems(instrument: InstrumentMap, declared: dict) -> list[tuple]:
    """An instrument, or items of it, that the configuration does not declare."""
    where = instrument.read.name
    if instrument.code not in declared:
        return [
            (f"instrument is not in config ({', '.join(declared)})", where, instrument.code, None)
        ]
    items = {str(c) for group in declared[instrument.code]["items"] for c in group["codes"]}
    return [
        (f"{instrument.code} has no item {item} in config", f"{where}.items", item, None)
        for item, _ in instrument.items
        if item not in items
    ]


# --- checks of the records -------------------------------------------------------------


def _check_columns(project: _Project) -> tuple[list[dict], bool]:
    """Columns the records lack or hold beyond the dictionary; whether rows can be read."""
    records, file = project.records, project.records_file

    def missing(column, message, name=None):
        return _finding("missing_column", file, message, row=1, field=column, redcap_field=name)

    findings = [
        missing(column, "the records export has no such column")
        for column in (project.record_id, EVENT)
        if column not in records.columns
    ]
    if findings:
        return findings, True
    findings += [
        missing(column, "a column the mapping reads is not in the records export", name)
        for column, name in _needed_columns(project).items()
        if column not in records.columns
    ]
    known = {ROW, *SPECIAL_COLUMNS, *(f"{form}_complete" for form in project.forms)}
    known |= {column for f in project.fields.values() for column in f.columns}
    findings += [
        _finding(
            "unknown_column",
            file,
            "column is not a field of the data dictionary (was the dictionary exported"
            " with the records?)",
            row=1,
            field=column,
            redcap_field=column.split("___")[0],
        )
        for column in records.columns
        if column not in known
    ]
    return findings, False


def _needed_columns(project: _Project) -> dict[str, str | None]:
    """The records columns the mapping reads, and their dictionary field (None for the
    special columns and form status)."""
    mapping = project.mapping
    reads = mapping.reads
    needed: dict[str, str | None] = {}
    if any(read.repeating for read in reads):
        needed |= {REPEAT_INSTRUMENT: None, REPEAT_INSTANCE: None}
    if any(c.source == "data_access_group" for s in mapping.files.values() for c in s.columns):
        needed[DAG] = None
    used = {mapping.participant_field, *(name for read in reads for name in read.fields)}
    needed |= {c: f.name for f in project.fields.values() if f.name in used for c in f.columns}
    needed |= {f"{read.form}_complete": None for read in reads if read.form in project.forms}
    return needed


def _check_rows(project: _Project) -> list[dict]:
    """Records without identifier, unmapped events; at mapped events, invalid repeat
    columns and duplicate rows."""
    records, mapping = project.records, project.mapping
    findings = project.at_rows(
        records[records[project.record_id].eq("")],
        "required",
        "the record has no identifier",
        project.record_id,
    )
    mapped = set(mapping.events) | set(mapping.ignore_events)
    findings += project.at_rows(
        records[~records[EVENT].isin(mapped)],
        "unmapped_event",
        f"event is not in the mapping's events ({', '.join(mapping.events)}) nor ignored"
        " (ignore.events); map it to a visit or ignore it",
        EVENT,
    )
    rows = project.analysed()
    for bad, column, message in _repeat_problems(project, rows):
        findings += project.at_rows(rows[bad], "invalid_repeat", message, column)
    key = [project.record_id, EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    twice = rows[rows.duplicated(key, keep=False)]
    findings += project.at_rows(
        twice,
        "duplicate_row",
        "another row has the same record, event, repeat instrument and instance",
        REPEAT_INSTANCE,
        values=twice[key].agg(",".join, axis=1),
        redcap_field=",".join(key),
    )
    return findings


def _repeat_problems(project: _Project, rows: pd.DataFrame) -> list[tuple]:
    """(bad rows, column, message) of the repeat instrument and instance columns."""
    instrument, instance = rows[REPEAT_INSTRUMENT], rows[REPEAT_INSTANCE]
    whole = instance.str.fullmatch(r"[1-9]\d*").fillna(False).astype(bool)
    return [
        (
            instrument.ne("") & ~instrument.isin(project.forms),
            REPEAT_INSTRUMENT,
            "repeat instrument is not a form of the data dictionary",
        ),
        (
            instrument.ne("") & ~whole,
            REPEAT_INSTANCE,
            "repeat instance must be a whole number from 1",
        ),
        (
            instrument.eq("") & instance.ne(""),
            REPEAT_INSTANCE,
            "an instance without a repeat instrument (a repeating event) is not supported",
        ),
    ]


def _validation(source: Field) -> tuple[str, str, float | None, float | None] | None:
    """(pattern, description, min, max) of a field's text validation; None if unchecked.

    Examples
    --------
    >>> _validation(Field("age", "f", "text", {}, "integer", "18", "100"))
    ('-?\\\\d+', 'a whole number', 18.0, 100.0)
    >>> _validation(Field("d", "f", "text", {}, "date_ymd"))[:2]
    ('\\\\d{4}-\\\\d{2}-\\\\d{2}', 'a date YYYY-MM-DD')
    """
    kind = "integer" if source.type == "slider" else source.validation
    decimals = DECIMALS.fullmatch(kind)
    if kind == "integer":
        pattern, text = INTEGER.pattern, "a whole number"
    elif kind == "number":
        pattern, text = NUMBER.pattern, "a number"
    elif decimals:
        pattern, text = rf"-?\d+\.\d{{{decimals[1]}}}", f"a number with {decimals[1]} decimal(s)"
    elif kind == "date_ymd":
        return ISO_DATE.pattern, "a date YYYY-MM-DD", None, None
    else:
        return None
    low, high = (source.minimum, source.maximum)
    if source.type == "slider":
        low, high = low or "0", high or "100"
    bound = [float(b) if NUMBER.fullmatch(b) else None for b in (low, high)]
    return pattern, text, bound[0], bound[1]


def _value_problems(source: Field, values: pd.Series) -> list[tuple[pd.Series, str, str]]:
    """(bad, rule, message) of one records column of ``source``."""
    given = values.ne("")
    if source.type == "checkbox":
        return [(~values.isin(["", "0", "1"]), "not_a_choice", "a checkbox column holds 0 or 1")]
    if source.choices:
        message = f"not a choice of {source.name} ({_choice_text(source)})"
        return [(given & ~values.isin(source.choices), "not_a_choice", message)]
    spec = _validation(source)
    if spec is None:
        return []
    pattern, text, low, high = spec
    shaped = values.str.fullmatch(pattern).fillna(False).astype(bool)
    kind = "slider" if source.type == "slider" else f"validation {source.validation}"
    found = [(given & ~shaped, "validation", f"not {text} ({kind})")]
    if text.startswith("a date"):
        dates = pd.to_datetime(values.where(shaped), format="%Y-%m-%d", errors="coerce")
        found.append((shaped & dates.isna(), "validation", "not a calendar date"))
        low, high = (b if ISO_DATE.fullmatch(b) else None for b in (source.minimum, source.maximum))
        comparable = values.where(shaped & dates.notna())
    else:
        comparable = pd.to_numeric(values.where(shaped), errors="coerce")
    if low is None and high is None:
        return found
    outside = pd.Series(False, index=values.index)
    if low is not None:
        outside |= (comparable < low).fillna(False).astype(bool)
    if high is not None:
        outside |= (comparable > high).fillna(False).astype(bool)
    message = f"outside the field's validation range ({_range_text(low, high)})"
    return [*found, (outside, "out_of_range", message)]


def _range_text(low, high) -> str:
    """A validation range as text.

    Examples
    --------
    >>> _range_text(18.0, 100.0), _range_text(0.0, None), _range_text(None, "2025-12-31")
    ('18 to 100', 'at least 0', 'at most 2025-12-31')
    """

    def shown(bound):
        return f"{bound:g}" if isinstance(bound, float) else bound

    if low is None:
        return f"at most {shown(high)}"
    if high is None:
        return f"at least {shown(low)}"
    return f"{shown(low)} to {shown(high)}"


def _check_values(project: _Project) -> list[dict]:
    """Every value of a dictionary field against its choices and text validation."""
    rows = project.analysed()
    findings = []
    ignored = set(project.mapping.ignore_fields)
    for source in project.fields.values():
        if source.name in ignored or source.form in project.mapping.ignore_forms:
            continue
        for column in source.columns:
            if column not in rows.columns or source.name == project.record_id:
                continue
            for bad, rule, message in _value_problems(source, rows[column]):
                findings += project.at_rows(
                    rows[bad], rule, message, column, redcap_field=source.name
                )
    return findings


def _participants(project: _Project) -> tuple[dict[str, str], list[dict]]:
    """Each record's participant identifier; one identifier in two records is a finding."""
    records, mapping = project.records, project.mapping
    name = mapping.participant_field
    if name not in records.columns:
        return {}, []
    rows = records[
        records[EVENT].eq(mapping.participant_event)
        & records[REPEAT_INSTRUMENT].eq("")
        & records[name].ne("")
    ]
    rows = rows.drop_duplicates(project.record_id)  # two rows of a record: duplicate_row
    twice = rows[rows.duplicated(name, keep=False)]
    findings = project.at_rows(
        twice,
        "duplicate_participant",
        "another record has the same participant identifier",
        name,
    )
    return dict(zip(rows[project.record_id], rows[name], strict=True)), findings


# --- building the raw tables -----------------------------------------------------------


def _has_data(project: _Project, rows: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Whether each row holds a value in ``columns`` (an unchecked box, 0, is none)."""
    if not columns:
        return pd.Series(False, index=rows.index)
    data = rows[columns]
    unchecked = [c for c in columns if c in project.checkbox_columns]
    value = data.ne("")
    if unchecked:
        value[unchecked] &= data[unchecked].ne("0")
    return value.any(axis=1)


def _entered(project: _Project, read: FormRead) -> tuple[pd.DataFrame, list[dict], tuple]:
    """The rows where ``read``'s form is entered, the findings about incomplete ones, and
    the cells read (rows, columns)."""
    records = project.records
    instrument = read.form if read.repeating else ""
    rows = records[records[EVENT].isin(read.events) & records[REPEAT_INSTRUMENT].eq(instrument)]
    status_column = f"{read.form}_complete"
    status = _column(rows, status_column)
    entered = status.isin(["1", "2"]) | _has_data(project, rows, project.form_columns(read.form))
    rows, status = rows[entered], status[entered]
    incomplete = rows[status.ne("2")]
    findings = project.at_rows(
        incomplete,
        "incomplete_form",
        lambda r: (
            f"form {read.form} is {STATUS.get(r.get(status_column, ''), 'not Complete')};"
            " only Complete (2) forms are imported: complete it or query the site"
        ),
        status_column,
        values=status,
    )
    columns = [
        c for name in read.fields if name in project.fields for c in project.fields[name].columns
    ]
    return rows, findings, (rows.index, [*columns, status_column])


def _value_table(source: Field, values) -> dict[str, str] | None:
    """Code -> raw value for a field and a ``values`` setting (None: as exported)."""
    if isinstance(values, dict):
        return values
    if values == "code":
        return None
    if values == "label" or (values is None and source.type in CHOICE_TYPES):
        return source.choices
    if values is None and source.type in FIXED_CHOICES:
        return YES_NO
    return None


def _translate(
    project: _Project, rows: pd.DataFrame, codes: pd.Series, table, column: str, known: set
) -> tuple[pd.Series, list[dict]]:
    """``codes`` translated by ``table``; a code it lacks (and that is a valid code,
    ``known``, when the field has choices) is a finding."""
    if table is None:
        return codes, []
    values = codes.map(table).astype(object)
    lacking = codes.ne("") & values.isna() & (codes.isin(known) if known else True)
    findings = project.at_rows(
        rows[lacking],
        "unmapped_value",
        lambda r: f"code is not translated by the mapping's values for {column}",
        column,
        values=codes,
    )
    return values.where(codes.ne(""), "").fillna(""), findings


def _checked(project: _Project, rows: pd.DataFrame, source: Field) -> tuple[pd.Series, list]:
    """The one ticked code of a checkbox field per row (empty when none is ticked)."""
    codes = list(source.choices)
    columns = [checkbox_column(source.name, code) for code in codes]
    ticked = rows.reindex(columns=columns, fill_value="").eq("1")
    ticked.columns = codes
    count = ticked.sum(axis=1)
    several = ticked.apply(lambda r: ",".join(r.index[r]), axis=1) if len(rows) else count
    findings = project.at_rows(
        rows[count > 1],
        "multiple_choices",
        "more than one box ticked; the raw column holds one value",
        source.name,
        values=several,
    )
    first = ticked.idxmax(axis=1) if len(rows) else count.astype(str)
    return first.where(count == 1, "").astype("str"), findings


def _convert(
    project: _Project, rows: pd.DataFrame, column: ColumnMap, required: bool
) -> tuple[pd.Series, list[dict]]:
    """One raw column's values for ``rows``, and the findings converting them (a blank
    value where the raw column requires one is a finding here, where its REDCap record,
    event and field are known)."""
    if column.source == "participant_id":
        return _participant_ids(project, rows, column, required)
    source = project.fields.get(column.field)
    if column.source is None and (source is None or not set(source.columns) <= set(rows)):
        return pd.Series("", index=rows.index, dtype="str"), []  # listed already
    findings = []
    if column.source == "data_access_group":
        name, codes, table, known = DAG, rows[DAG], column.values, set()
    else:
        name, table, known = source.name, _value_table(source, column.values), set(source.choices)
        if source.type == "checkbox":
            codes, findings = _checked(project, rows, source)
        else:
            codes = rows[source.name]
    if required:  # blank in REDCap (a value not translated is listed as such)
        message = f"a value is required for {column.column}"
        findings += project.at_rows(rows[codes.eq("")], "required", message, name)
    table = table if isinstance(table, dict) else None
    values, found = _translate(project, rows, codes, table, name, known)
    return values, findings + found


def _participant_ids(
    project: _Project, rows: pd.DataFrame, column: ColumnMap, required: bool
) -> tuple[pd.Series, list[dict]]:
    """The participant identifier of each row's record."""
    mapping = project.mapping
    ids = rows[project.record_id].map(lambda r: project.participants.get(r, ""))
    missing = rows[ids.eq("")] if required else rows.iloc[:0]
    message = (
        f"the record has data for {column.column} but no participant identifier"
        f" ({mapping.participant_field} at {mapping.participant_event})"
    )
    return ids, project.at_rows(missing, "no_participant_id", message, mapping.participant_field)


def _file_table(project: _Project, spec: FileMap) -> tuple[pd.DataFrame, list[dict], tuple]:
    """One raw table (not questionnaires.csv), its findings and the cells it read."""
    rows, findings, cells = _entered(project, spec.read)
    required = {c.name: c.required for c in RAW_FILES[spec.name].columns}
    columns = {}
    for column in spec.columns:
        values, found = _convert(project, rows, column, required[column.column])
        columns[column.column] = values.to_numpy(dtype=object)
        findings += found
    table = pd.DataFrame(columns, columns=RAW_FILES[spec.name].column_names, dtype="str")
    if spec.order_by:
        table = table.sort_values(list(spec.order_by), kind="stable")
    return table.reset_index(drop=True), findings, cells


def _instrument_rows(
    project: _Project, position: int, instrument: InstrumentMap
) -> tuple[list[pd.DataFrame], list[dict], tuple]:
    """questionnaires.csv rows of one instrument (with their sort keys)."""
    rows, findings, cells = _entered(project, instrument.read)
    participant, found = _convert(
        project, rows, ColumnMap("participant_id", source=SOURCES[0]), True
    )
    findings += found
    date, found = _convert(
        project, rows, ColumnMap("assessment_date", instrument.assessment_date), True
    )
    findings += found
    pieces = []
    for k, (item, name) in enumerate(instrument.items):
        response, found = _convert(project, rows, ColumnMap("response", name, values="code"), False)
        findings += found
        pieces.append(
            pd.DataFrame(
                {
                    "participant_id": participant,
                    "visit": rows[EVENT].map(project.mapping.events),
                    "assessment_date": date,
                    "instrument": instrument.code,
                    "item": item,
                    "response": response,
                    "_position": rows.index,
                    "_instrument": position,
                    "_item": k,
                },
                index=rows.index,
            )
        )
    return pieces, findings, cells


def _questionnaire_table(project: _Project) -> tuple[pd.DataFrame, list[dict], list]:
    """questionnaires.csv: per entered form, in export order, a row per item."""
    pieces, findings, cells = [], [], []
    for position, instrument in enumerate(project.mapping.instruments):
        found_pieces, found, read = _instrument_rows(project, position, instrument)
        pieces += found_pieces
        findings += found
        cells.append(read)
    columns = RAW_FILES[QUESTIONNAIRES].column_names
    if not pieces:
        return pd.DataFrame(columns=columns, dtype="str"), findings, cells
    table = pd.concat(pieces).sort_values(["_position", "_instrument", "_item"], kind="stable")
    return table[columns].astype("str").reset_index(drop=True), findings, cells


def _build_tables(project: _Project) -> tuple[dict[str, pd.DataFrame], list[dict], list]:
    """The seven raw tables, the findings building them, and every cell read."""
    tables, findings, cells = {}, [], []
    mapping = project.mapping
    for name in RAW_FILES:
        if name == QUESTIONNAIRES:
            tables[name], found, read = _questionnaire_table(project)
            cells += read
        else:
            tables[name], found, read = _file_table(project, mapping.files[name])
            cells.append(read)
        findings += found
    rows = project.records[
        project.records[EVENT].eq(mapping.participant_event)
        & project.records[REPEAT_INSTRUMENT].eq("")
    ]
    cells.append((rows.index, [mapping.participant_field]))
    return tables, findings, cells


def _check_unread(project: _Project, cells: list[tuple]) -> list[dict]:
    """Values the mapping does not read, once per column and event with their number."""
    rows = project.analysed()
    mapping = project.mapping
    skipped = {project.record_id, *mapping.ignore_fields}
    columns = [
        column
        for f in project.fields.values()
        if f.name not in skipped and f.form not in mapping.ignore_forms
        for column in f.columns
    ]
    columns += [f"{form}_complete" for form in sorted(project.forms - set(mapping.ignore_forms))]
    columns = [c for c in columns if c in rows.columns]
    data = rows[columns]
    zero_is_none = [c for c in columns if c in project.checkbox_columns or c.endswith("_complete")]
    unread = data.ne("")
    unread[zero_is_none] &= data[zero_is_none].ne("0")
    for index, read in cells:
        read = [c for c in read if c in unread.columns]
        unread.loc[unread.index.intersection(index), read] = False
    hits = unread.stack()
    hits = hits[hits]
    findings = []
    if hits.empty:
        return findings
    where = hits.index.to_frame(index=False, name=["index", "column"])
    where["event"] = rows.loc[where["index"], EVENT].to_numpy()
    for (column, event), group in where.groupby(["column", "event"], sort=False):
        first = rows.loc[[group["index"].iloc[0]]]
        message = (
            f"{len(group)} value(s) of {column} at {event} are not read by the mapping (the"
            " first is on this line); map the field, or list it under ignore.fields"
        )
        name = column.split("___")[0] if column in project.checkbox_columns else column
        findings += project.at_rows(first, "unread_value", message, column, redcap_field=name)
    return findings
