"""The raw data contract: which CSV files a trial folder holds and what each column means.

This module is the single source of the data dictionary: ``docs/data-dictionary.md``
is generated from :data:`RAW_FILES` (``rlstrial data-dictionary``) and a test checks
that the committed copy is current.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of a raw file.

    ``plausible`` is the range (min, max; None for no bound) a numeric value must fall
    in, and ``plausible_severity`` what a value outside it is (``error`` blocks the
    analysis, ``warning`` is listed); config ``ranges`` overrides both per column.
    ``range_note`` says where the range comes from when it is not in the contract.
    """

    name: str
    type: str  # "string", "integer", "number", "date", "yes/no"
    meaning: str
    required: bool = True
    allowed: tuple[str, ...] = ()
    plausible: tuple[float | None, float | None] | None = None
    plausible_severity: str = "error"
    range_note: str = ""

    @property
    def plausible_text(self) -> str:
        """The plausible range as the data dictionary shows it.

        Examples
        --------
        >>> Column("age", "integer", "age", plausible=(18, 100)).plausible_text
        '18 to 100 (error)'
        >>> Column("n", "number", "count", plausible=(0, None)).plausible_text
        'at least 0 (error)'
        """
        if self.plausible is None:
            return self.range_note
        low, high = self.plausible
        if low is None:
            text = f"at most {high:g}"
        elif high is None:
            text = f"at least {low:g}"
        else:
            text = f"{low:g} to {high:g}"
        return f"{text} ({self.plausible_severity})"


@dataclass(frozen=True)
class RawFile:
    """One file of the raw trial folder."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())
    empty_allowed: str = ""  # why the file may hold no records; "" = records required

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def stem(self) -> str:
        """The file name without ``.csv``, as config ``ranges`` keys name it."""
        return self.name.removesuffix(".csv")


YES_NO = ("yes", "no")
PID = Column("participant_id", "string", "participant identifier assigned at randomization")

RAW_FILES: dict[str, RawFile] = {
    spec.name: spec
    for spec in [
        RawFile(
            "screening.csv",
            "one row per person screened; feeds the CONSORT flow",
            (
                Column("screening_id", "string", "screening log number"),
                Column("screening_date", "date", "date of the screening visit"),
                Column("eligible", "yes/no", "met all eligibility criteria", allowed=YES_NO),
                Column(
                    "ineligible_reason",
                    "string",
                    "why not eligible (empty when eligible)",
                    required=False,
                ),
                Column(
                    "consented",
                    "yes/no",
                    "gave informed consent (empty when not eligible)",
                    required=False,
                    allowed=YES_NO,
                ),
                Column(
                    "participant_id",
                    "string",
                    "participant identifier when randomized, else empty",
                    required=False,
                ),
            ),
            key=("screening_id",),
        ),
        RawFile(
            "randomization.csv",
            "one row per randomized participant",
            (
                PID,
                Column("site", "string", "site identifier"),
                Column("stratum", "string", "randomization stratum"),
                Column("randomization_date", "date", "date of randomization (study day 0)"),
                Column("arm", "string", "assigned arm: an arm code from config, or an alias"),
            ),
            key=("participant_id",),
        ),
        RawFile(
            "baseline.csv",
            "baseline characteristics, one row per randomized participant",
            (
                PID,
                Column("age", "integer", "age in years at randomization", plausible=(18, 100)),
                Column("sex", "string", "sex", allowed=("F", "M")),
                Column("race", "string", "race as reported"),
                Column("ethnicity", "string", "ethnicity as reported"),
                Column("rls_years", "number", "years since RLS symptoms began", plausible=(0, 80)),
                Column("rls_medication", "yes/no", "on oral RLS medication", allowed=YES_NO),
                Column(
                    "rls_medication_class",
                    "string",
                    "class of RLS medication (empty when none)",
                    required=False,
                ),
            ),
            key=("participant_id",),
        ),
        RawFile(
            "questionnaires.csv",
            "questionnaire responses, one row per participant, visit, instrument and item",
            (
                PID,
                Column("visit", "string", "nominal visit code from config"),
                Column("assessment_date", "date", "date the questionnaire was completed"),
                Column("instrument", "string", "instrument code from config (IRLS, MOS, RLSQOL)"),
                Column(
                    "item",
                    "integer",
                    "item number on the form",
                    range_note="the instrument's items in config",
                ),
                Column(
                    "response",
                    "number",
                    "raw response code as on the form; empty when the item was left blank",
                    required=False,
                    range_note="per item, from config instruments (error)",
                ),
            ),
            key=("participant_id", "visit", "instrument", "item"),
        ),
        RawFile(
            "adherence.csv",
            "adherence diary, one row per participant and day",
            (
                PID,
                Column("diary_date", "date", "diary day"),
                Column(
                    "massager_minutes",
                    "number",
                    "minutes of foot-massager use",
                    plausible=(0, 1440),
                ),
                Column("heat_minutes", "number", "minutes of heat therapy", plausible=(0, 1440)),
            ),
            key=("participant_id", "diary_date"),
        ),
        RawFile(
            "adverse_events.csv",
            "adverse events, one row per event",
            (
                PID,
                Column("onset_date", "date", "date the event began"),
                Column("term", "string", "reported term"),
                Column("severity", "string", "severity", allowed=("mild", "moderate", "severe")),
                Column("serious", "yes/no", "serious adverse event", allowed=YES_NO),
                Column("device_related", "yes/no", "related to the device", allowed=YES_NO),
            ),
            empty_allowed="a trial may have no adverse events",
        ),
        RawFile(
            "disposition.csv",
            "end-of-study status, one row per randomized participant",
            (
                PID,
                Column(
                    "status",
                    "string",
                    "end-of-study status",
                    allowed=("completed", "withdrew", "lost to follow-up"),
                ),
                Column("status_date", "date", "date of completion or discontinuation"),
                Column(
                    "reason", "string", "reason for discontinuation (empty if completed)", False
                ),
            ),
            key=("participant_id",),
            empty_allowed=(
                "no participant may have finished yet; each randomized participant without"
                " a record is listed (missing_record, warning)"
            ),
        ),
    ]
}


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown, one section per raw file.

    Examples
    --------
    >>> print(data_dictionary_markdown().splitlines()[0])
    # Raw data dictionary
    """
    lines = [
        "# Raw data dictionary",
        "",
        "A trial arrives as a folder of UTF-8 CSV files (no byte-order mark), with a header",
        "row, comma-separated, dates as ISO 8601 `YYYY-MM-DD`, and empty fields for missing",
        "values. Row numbers in findings are line numbers in the file (the header is line 1).",
        "A file with a header but no records is a blocking finding unless its section says",
        "it may be empty. A numeric value outside its plausible range is a finding of the",
        "severity shown (`error` blocks the analysis, `warning` is listed); config `ranges`",
        "overrides a range per column, e.g. `ranges: {baseline.age: {min: 16, max: 100,",
        "severity: error}}` (keys `<file without .csv>.<column>`).",
        "Generated from `src/rlstrial/rawdata.py` by `rlstrial data-dictionary`; do not edit.",
        "",
    ]
    for spec in RAW_FILES.values():
        lines += [f"## {spec.name}", "", spec.description + ".", ""]
        if spec.key:
            lines += [f"Unique key: {', '.join(spec.key)}.", ""]
        if spec.empty_allowed:
            lines += [f"Records: may be empty (header only): {spec.empty_allowed}.", ""]
        else:
            lines += ["Records: at least one is required.", ""]
        lines += [
            "| column | type | required | allowed values | plausible range | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for column in spec.columns:
            allowed = ", ".join(column.allowed) if column.allowed else ""
            required = "yes" if column.required else "no"
            lines.append(
                f"| {column.name} | {column.type} | {required} | {allowed}"
                f" | {column.plausible_text} | {column.meaning} |"
            )
        lines.append("")
    return "\n".join(lines)
