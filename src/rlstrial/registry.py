"""The publication outputs: one registry of every table and figure.

Each entry names the output (its file stem, with ``{outcome}`` for one per outcome),
the rule that writes it, its title and the caption the report prints. The rule files
take their output lists from here, the report its order and captions, the stages
their titles, and the checklist map checks its file patterns against it; so adding a
table is one entry here plus its builder.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """One publication table or figure.

    ``builder`` names the function that builds it (``tables.table_baseline``).
    ``stem`` is the file name without extension; ``{outcome}`` stands for each analysed
    outcome, ``{primary}`` for the primary outcome and ``{analysis}`` for the primary
    analysis; in titles and captions ``{ci}`` is the confidence level ("95% CI").
    ``rule`` is the workflow rule that writes it.
    """

    stem: str
    kind: str
    rule: str
    title: str
    caption: str
    builder: str

    @property
    def function(self):
        """The function that builds the table or draws the figure (``builder`` names it,
        ``module.function`` in the package)."""
        from importlib import import_module

        module, name = self.builder.rsplit(".", 1)
        return getattr(import_module(f"rlstrial.{module}"), name)

    def files(
        self,
        outcomes: list[str],
        primary: str = "",
        analysis: str = "",
        ci: str = "95% CI",
        labels: dict[str, str] | None = None,
    ) -> list[File]:
        """The files of this output: one per outcome when the stem has ``{outcome}``.
        Stems carry outcome codes; titles and captions the outcome's label from
        ``labels`` (code -> label), where given.

        Examples
        --------
        >>> [f.stem for f in table("outcome_{outcome}").files(["A", "B"])]
        ['outcome_A', 'outcome_B']
        >>> figure("diagnostics_{primary}_{analysis}").files(["A", "B"], "A", "mmrm")[0].stem
        'diagnostics_A_mmrm'
        """
        each = outcomes if "{outcome}" in self.stem else [primary]
        labels = labels or {}
        return [
            File(
                self.stem.format(outcome=outcome, primary=primary, analysis=analysis),
                self.title.format(outcome=labels.get(outcome, outcome), analysis=analysis, ci=ci),
                self.caption.format(outcome=labels.get(outcome, outcome), analysis=analysis, ci=ci),
                self,
            )
            for outcome in each
        ]


@dataclass(frozen=True)
class File:
    """One file (without extension) of a registered output, titles filled in."""

    stem: str
    title: str
    caption: str
    output: Output


#: Tables in the order the report shows them.
TABLES = (
    Output(
        "participant_flow",
        "table",
        "publication_tables",
        "Participant flow by arm",
        "Screened, randomized, treated, discontinued (with reasons) and analysed, by arm.",
        "tables.table_participant_flow",
    ),
    Output(
        "recruitment",
        "table",
        "publication_tables",
        "Recruitment and follow-up dates",
        "First and last randomisation, end of follow-up and follow-up time, by arm.",
        "tables.table_recruitment",
    ),
    Output(
        "baseline",
        "table",
        "publication_tables",
        "Baseline characteristics",
        "Baseline characteristics by arm (no p-values).",
        "tables.table_baseline",
    ),
    Output(
        "comparisons",
        "table",
        "publication_tables",
        "Comparisons and the groups that form them (weights on the arm means)",
        "Each comparison of the factorial plan, its weights and its multiplicity family.",
        "tables.table_comparisons",
    ),
    Output(
        "outcome_{outcome}",
        "table",
        "publication_tables",
        "{outcome}: results by visit",
        "{outcome}: n, baseline and visit mean (SD), LS-mean change (SE), differences"
        " ({ci}) and P values by visit.",
        "tables.table_outcome",
    ),
    Output(
        "harms",
        "table",
        "publication_tables",
        "Harms (safety population)",
        "Adverse events by arm, with denominators.",
        "tables.table_harms",
    ),
    Output(
        "adherence",
        "table",
        "publication_tables",
        "Adherence by arm",
        "Diary-recorded use of the allocated devices.",
        "tables.table_adherence",
    ),
    Output(
        "consort_checklist",
        "table",
        "consort_checklist",
        "CONSORT 2025 checklist (with the factorial extension): where each item is addressed"
        " ({{results}} and {{processed}} are the folders of config `paths`)",
        "Where each CONSORT 2025 item is addressed.",
        "checklist.checklist_map",
    ),
)

#: Figures in the order the report shows them (diagnostics: of the primary analysis).
FIGURES = (
    Output(
        "consort",
        "figure",
        "figure_consort",
        "CONSORT flow diagram",
        "Participant flow (CONSORT), drawn from the data.",
        "figures.draw_consort",
    ),
    Output(
        "trajectories_{outcome}",
        "figure",
        "figure_results",
        "{outcome}",
        "{outcome}: LS-mean change by arm and visit ({ci}).",
        "figures.plot_trajectories",
    ),
    Output(
        "forest",
        "figure",
        "figure_results",
        "Contrasts at the primary visit",
        "Each active arm versus no intervention at the primary visit, by outcome family"
        " (estimate, {ci}).",
        "figures.plot_forest",
    ),
    Output(
        "forest_factorial",
        "figure",
        "figure_results",
        "Factorial effects at the primary visit",
        "Main effects of each factor and their interaction at the primary visit, by outcome"
        " family (estimate, {ci}).",
        "figures.plot_forest",
    ),
    Output(
        "interaction",
        "figure",
        "figure_results",
        "Massager x heat",
        "Massager x heat: LS-means at the primary visit ({ci}).",
        "figures.plot_interaction",
    ),
    Output(
        "individual_change",
        "figure",
        "figure_individual_change",
        "Individual change",
        "Individual change of the primary outcome at the primary visit.",
        "figures.plot_individual_change",
    ),
    Output(
        "diagnostics_{primary}_{analysis}",
        "figure",
        "figure_diagnostics",
        "Model diagnostics",
        "Model diagnostics of the primary outcome ({analysis}): residuals, normal QQ plot,"
        " estimated correlation between visits.",
        "figures.plot_diagnostics",
    ),
)


#: Tables of data behind a figure (CSV only), not shown in the report.
DATA = (
    Output(
        "consort_counts",
        "data",
        "consort_counts",
        "CONSORT flow counts",
        "The counts (and reasons) of each box of the CONSORT diagram.",
        "figures.consort_counts",
    ),
)


def is_registered(pattern: str) -> bool:
    """Whether a file-stem glob (``trajectories_*``) names a registered output.

    Examples
    --------
    >>> is_registered("trajectories_*"), is_registered("forest"), is_registered("forrest")
    (True, True, False)
    """
    from fnmatch import fnmatchcase

    return any(
        fnmatchcase(output.stem.format(outcome="X", primary="X", analysis="X"), pattern)
        for output in TABLES + FIGURES + DATA
    )


def table(stem: str) -> Output:
    """The table registered under this stem."""
    return next(output for output in TABLES if output.stem == stem)


def figure(stem: str) -> Output:
    """The figure registered under this stem."""
    return next(output for output in FIGURES if output.stem == stem)


def files(
    outputs: list[Output] | tuple[Output, ...],
    outcomes: list[str],
    primary: str = "",
    analysis: str = "",
    ci: str = "95% CI",
    labels: dict[str, str] | None = None,
) -> list[File]:
    """The files of several outputs, in their order (``labels``: outcome code ->
    label, for titles and captions).

    Examples
    --------
    >>> [f.stem for f in files(TABLES[3:6], ["A"])]
    ['comparisons', 'outcome_A', 'harms']
    >>> [f.caption for f in files(FIGURES[1:2], ["A"])]
    ['A: LS-mean change by arm and visit (95% CI).']
    """
    return [f for output in outputs for f in output.files(outcomes, primary, analysis, ci, labels)]


def written_by(rule: str) -> list[Output]:
    """The outputs a rule writes, in registry order.

    Examples
    --------
    >>> [output.stem for output in written_by("publication_tables")][:3]
    ['participant_flow', 'recruitment', 'baseline']
    """
    return [output for output in TABLES + FIGURES if output.rule == rule]
