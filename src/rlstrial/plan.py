"""The analysis plan: one frozen, checked object built from the merged configuration.

:func:`build_plan` reads the validated configuration once and checks every
cross-reference of the plan (the multiplicity family, the primary outcome, visit and
contrast, the responder outcome, covariates, population flags, outcomes, analyses),
reporting every problem at once with the key path, the bad value, the valid choices
and the closest match. Everything downstream (the models, effect sizes, tables,
figures) reads arms, control, visits, labels and contrasts from the plan, so that
no result depends on the order of a list in the configuration.

The plan travels to workflow jobs as plain data: :meth:`Plan.to_params` gives the
sections a rule uses (its ``params:``, so that Snakemake reruns exactly the jobs whose
settings changed) and :meth:`Plan.from_params` rebuilds them inside the job.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from rlstrial.config import ConfigError
from rlstrial.mmrm.options import check_methods

FACTORS = ("massager", "heat")
INTERACTION = "massager x heat interaction"

#: adsl flags that can define an analysis population.
POPULATION_FLAGS = ("ITTFL", "SAFFL", "PPROTFL")
#: Baseline columns a model may adjust for: the baseline value of the outcome (adqs)
#: and the baseline characteristics of adsl (joined by USUBJID).
COVARIATES = (
    "BASE",
    "SITEID",
    "STRATUM",
    "AGE",
    "SEX",
    "RACE",
    "ETHNIC",
    "RLSDUR",
    "RLSMEDFL",
    "RLSMEDCL",
)
#: The plan's sections, in the order of :class:`Plan`'s fields.
SECTIONS = (
    "design",
    "outcomes",
    "primary",
    "population",
    "alpha",
    "multiplicity",
    "model",
    "analyses",
    "responder",
    "imputation",
    "rerandomization",
)


def ci_label(level: float) -> str:
    """How a confidence level is printed.

    Examples
    --------
    >>> ci_label(0.95), ci_label(0.975)
    ('95% CI', '97.5% CI')
    """
    return f"{100 * level:.10g}% CI"


class PlanError(ConfigError):
    """The analysis plan refers to something that does not exist; the message lists
    every such reference with its key path, value and the valid choices."""


@dataclass(frozen=True)
class Arm:
    """A randomized arm: its code, label and factor levels."""

    code: str
    label: str
    massager: bool
    heat: bool


@dataclass(frozen=True)
class Visit:
    """A scheduled visit: code, label (AVISIT), week and whether it is the baseline."""

    code: str
    label: str
    week: float
    baseline: bool = False


@dataclass(frozen=True)
class Contrast:
    """A contrast of the arm means.

    ``kind`` is ``vs control``, ``main effect`` or ``interaction``; ``active`` and
    ``reference`` are the arms compared (a vs-control contrast), or the factor and
    its absence (``massager`` / ``no massager``) of a main effect, or ``massager x
    heat`` / blank of the interaction. ``weights`` are on the arm means, in design order.
    """

    name: str
    kind: str
    active: str
    reference: str
    weights: tuple[float, ...]


@dataclass(frozen=True)
class Design:
    """The 2x2 factorial design: arms in canonical order (control, massager, heat,
    massager + heat, whatever the order of the configuration) and visits by week."""

    arms: tuple[Arm, ...]
    visits: tuple[Visit, ...]

    def __post_init__(self):
        # canonical orders, however the design was built
        arms = sorted(self.arms, key=lambda arm: (arm.heat, arm.massager))
        visits = sorted(self.visits, key=lambda visit: (not visit.baseline, visit.week))
        object.__setattr__(self, "arms", tuple(arms))
        object.__setattr__(self, "visits", tuple(visits))

    @property
    def arm_codes(self) -> list[str]:
        return [arm.code for arm in self.arms]

    @property
    def control(self) -> str:
        """The code of the arm with neither factor.

        Examples
        --------
        >>> Design((Arm("both", "B", True, True), Arm("none", "N", False, False)), ()).control
        'none'
        """
        return next(arm.code for arm in self.arms if not arm.massager and not arm.heat)

    @property
    def active_arms(self) -> list[str]:
        return self.arm_codes[1:]

    @property
    def arm_labels(self) -> dict[str, str]:
        return {arm.code: arm.label for arm in self.arms}

    @property
    def post_baseline_visits(self) -> list[Visit]:
        return [visit for visit in self.visits if not visit.baseline]

    def visit(self, code: str) -> Visit:
        """The visit with this code."""
        return next(visit for visit in self.visits if visit.code == code)

    @property
    def contrasts(self) -> tuple[Contrast, ...]:
        """Each active arm versus control, both main effects and the interaction.

        Examples
        --------
        >>> design = Design.from_config([
        ...     {"code": "both", "label": "B", "massager": True, "heat": True},
        ...     {"code": "none", "label": "N", "massager": False, "heat": False},
        ...     {"code": "m", "label": "M", "massager": True, "heat": False},
        ...     {"code": "h", "label": "H", "massager": False, "heat": True}], [])
        >>> design.arm_codes
        ['none', 'm', 'h', 'both']
        >>> [(c.name, c.weights) for c in design.contrasts][3:]  # doctest: +NORMALIZE_WHITESPACE
        [('massager main effect', (-0.5, 0.5, -0.5, 0.5)),
         ('heat main effect', (-0.5, -0.5, 0.5, 0.5)),
         ('massager x heat interaction', (1.0, -1.0, -1.0, 1.0))]
        """
        control = self.control
        out = [
            Contrast(
                f"{arm.code} vs {control}",
                "vs control",
                arm.code,
                control,
                tuple(float(a.code == arm.code) - float(a.code == control) for a in self.arms),
            )
            for arm in self.arms[1:]
        ]
        for factor in FACTORS:
            weights = tuple(0.5 if getattr(a, factor) else -0.5 for a in self.arms)
            out.append(
                Contrast(f"{factor} main effect", "main effect", factor, f"no {factor}", weights)
            )
        weights = tuple(1.0 if a.massager == a.heat else -1.0 for a in self.arms)
        out.append(Contrast(INTERACTION, "interaction", "massager x heat", "", weights))
        return tuple(out)

    def contrast(self, name: str) -> Contrast:
        """The contrast with this name."""
        return next(contrast for contrast in self.contrasts if contrast.name == name)

    def arm_label(self, code: str) -> str:
        """The label of the arm with this code."""
        return next(arm.label for arm in self.arms if arm.code == code)

    def contrast_label(self, name: str) -> str:
        """A contrast in words, from the arms' labels.

        Examples
        --------
        >>> design = Design.from_config([
        ...     {"code": "c", "label": "No intervention", "massager": False, "heat": False},
        ...     {"code": "m", "label": "Foot massager", "massager": True, "heat": False},
        ...     {"code": "h", "label": "Heat therapy", "massager": False, "heat": True},
        ...     {"code": "b", "label": "Massager + heat", "massager": True, "heat": True}], [])
        >>> labels = [design.contrast_label(c.name) for c in design.contrasts]
        >>> labels  # doctest: +NORMALIZE_WHITESPACE
        ['Foot massager vs no intervention', 'Heat therapy vs no intervention',
         'Massager + heat vs no intervention', 'Foot massager (main effect)',
         'Heat therapy (main effect)', 'Foot massager x heat therapy (interaction)']
        """
        contrast = self.contrast(name)
        alone = {
            factor: next(
                arm.label
                for arm in self.arms
                if getattr(arm, factor) and not any(getattr(arm, f) for f in FACTORS if f != factor)
            )
            for factor in FACTORS
        }
        if contrast.kind == "vs control":
            return (
                f"{self.arm_label(contrast.active)} vs {_lower(self.arm_label(contrast.reference))}"
            )
        if contrast.kind == "main effect":
            return f"{alone[contrast.active]} (main effect)"
        first, second = (alone[factor] for factor in FACTORS)
        return f"{first} x {_lower(second)} (interaction)"

    @classmethod
    def from_config(cls, arms: list[dict], visits: list[dict]) -> Design:
        """The design of the config's arms and visits (sorted: control first, by week)."""
        return cls(
            arms=tuple(
                Arm(a["code"], a["label"], bool(a["massager"]), bool(a["heat"])) for a in arms
            ),
            visits=tuple(
                Visit(v["code"], v["label"], v["week"], bool(v.get("baseline", False)))
                for v in visits
            ),
        )


@dataclass(frozen=True)
class Outcome:
    """An analysed outcome: PARAMCD, its label, the instrument that scores it, which
    direction is better (``lower`` or ``higher``) and the family it is grouped under
    in figures and tables (the instrument's ``family``, or its label)."""

    code: str
    label: str
    instrument: str
    better: str = "lower"
    family: str = ""


@dataclass(frozen=True)
class Primary:
    """The primary outcome, visit (code), contrast (name) and analysis (name)."""

    outcome: str
    visit: str
    contrast: str
    analysis: str


@dataclass(frozen=True)
class Multiplicity:
    """The adjustment method and the contrasts adjusted together at each visit."""

    method: str
    family: tuple[str, ...]


@dataclass(frozen=True)
class ModelSettings:
    """The MMRM's covariance structure and the fallback chain, for every analysis."""

    covariance: str
    fallback: tuple[str, ...]


#: how each df method and covariance of the fixed effects reads in tables and reports
INFERENCE_LABELS = {
    "satterthwaite": "Satterthwaite df",
    "kenward-roger": "Kenward-Roger df and adjusted SE",
    "kenward-roger-linear": "Kenward-Roger (linear) df and adjusted SE",
    "between-within": "between-within df",
    "residual": "residual df",
    "model": "model-based SE",
    "empirical": "empirical (sandwich) SE",
    "empirical-jackknife": "jackknife (CR3) SE",
    "empirical-bias-reduced": "bias-reduced (CR2) SE",
}


def inference_label(df_method: str, vcov: str) -> str:
    """The df method and the covariance of the estimates, in words.

    Examples
    --------
    >>> inference_label("kenward-roger", "model")
    'Kenward-Roger df and adjusted SE'
    >>> inference_label("between-within", "empirical")
    'between-within df, empirical (sandwich) SE'
    """
    if df_method.startswith("kenward-roger"):
        return INFERENCE_LABELS[df_method]
    return f"{INFERENCE_LABELS[df_method]}, {INFERENCE_LABELS[vcov]}"


@dataclass(frozen=True)
class Analysis:
    """One analysis of the plan, with its population and covariates resolved."""

    name: str
    baseline: str
    model: str
    population: str
    covariates: tuple[str, ...]
    df_method: str = "satterthwaite"
    vcov: str = "model"

    @property
    def inference(self) -> str:
        """The df method and the covariance of the estimates, in words."""
        return inference_label(self.df_method, self.vcov)


@dataclass(frozen=True)
class Responder:
    """The responder rule: an improvement of at least ``threshold`` points."""

    outcome: str
    threshold: float
    missing: str


@dataclass(frozen=True)
class Imputation:
    """Multiple imputation under MAR: ``m`` imputations, the seed, and the deltas of
    the tipping-point series (points added to imputed values of the active arm)."""

    m: int = 50
    seed: int = 20260102
    deltas: tuple[float, ...] = (0, 2, 4, 6, 8, 10)


@dataclass(frozen=True)
class Rerandomization:
    """The re-randomization test of the primary contrast (see
    :func:`rlstrial.sensitivity.rerandomization_test`)."""

    scheme: str = "stratified_permutation"
    block_sizes: tuple[int, ...] = (4, 8)
    draws: int = 10_000
    max_exact: int = 20_000
    seed: int = 20260101


@dataclass(frozen=True)
class Plan:
    """The analysis plan. Sections a job was not given are ``None``.

    ``population`` is the adsl flag of the analysis population (each analysis may
    override it), ``alpha`` the two-sided significance level (CIs are 1 - alpha).
    """

    design: Design | None = None
    outcomes: tuple[Outcome, ...] | None = None
    primary: Primary | None = None
    population: str | None = None
    alpha: float | None = None
    multiplicity: Multiplicity | None = None
    model: ModelSettings | None = None
    analyses: tuple[Analysis, ...] | None = None
    responder: Responder | None = None
    imputation: Imputation | None = None
    rerandomization: Rerandomization | None = None

    def analysis(self, name: str) -> Analysis:
        """The analysis with this name."""
        return next(analysis for analysis in self.analyses if analysis.name == name)

    def outcome(self, code: str) -> Outcome:
        """The outcome with this PARAMCD."""
        return next(outcome for outcome in self.outcomes if outcome.code == code)

    @property
    def families(self) -> dict[str, list[Outcome]]:
        """The outcomes by family, the primary outcome's family first (the primary
        outcome first in it), the others in the order of the plan."""
        groups: dict[str, list[Outcome]] = {}
        primary = self.primary.outcome if self.primary else None
        ordered = sorted(self.outcomes, key=lambda outcome: outcome.code != primary)
        for outcome in ordered:
            groups.setdefault(outcome.family or outcome.instrument, []).append(outcome)
        return groups

    @property
    def primary_visit(self) -> Visit:
        return self.design.visit(self.primary.visit)

    @property
    def primary_contrast(self) -> Contrast:
        return self.design.contrast(self.primary.contrast)

    def to_params(self, *sections: str) -> dict[str, Any]:
        """The named sections as plain data (lists, dicts, strings, numbers): a rule's
        ``params:``, which Snakemake compares between runs.

        Examples
        --------
        >>> plan = build_plan(_example_config())
        >>> plan.to_params("primary")  # doctest: +NORMALIZE_WHITESPACE
        {'primary': {'outcome': 'IRLSTOT', 'visit': 'WEEK4', 'contrast': 'massager vs control',
                     'analysis': 'mmrm'}}
        >>> Plan.from_params(plan.to_params("design", "primary")).primary == plan.primary
        True
        """
        unknown = [name for name in sections if name not in SECTIONS]
        if unknown:
            raise ValueError(f"unknown plan sections {unknown}; sections are {list(SECTIONS)}")
        return {name: _plain(getattr(self, name)) for name in sections}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Plan:
        """Rebuild the sections of :meth:`to_params` (other keys are ignored)."""
        return cls(
            **{name: _SECTION_READERS[name](params[name]) for name in SECTIONS if name in params}
        )


def _plain(value):
    if isinstance(value, tuple) and value and hasattr(value[0], "__dataclass_fields__"):
        return [asdict(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value  # None, or a string or number


def _design_from_params(data: dict) -> Design:
    return Design(
        arms=tuple(Arm(**arm) for arm in data["arms"]),
        visits=tuple(Visit(**visit) for visit in data["visits"]),
    )


def _tuples(cls, data: dict):
    """A dataclass from plain data, lists back to tuples."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _optional(reader):
    return lambda data: None if data is None else reader(data)


_SECTION_READERS = {
    "design": _design_from_params,
    "outcomes": lambda data: tuple(Outcome(**item) for item in data),
    "primary": lambda data: Primary(**data),
    "population": str,
    "alpha": float,
    "multiplicity": lambda data: _tuples(Multiplicity, data),
    "model": lambda data: _tuples(ModelSettings, data),
    "analyses": lambda data: tuple(_tuples(Analysis, item) for item in data),
    "responder": _optional(lambda data: Responder(**data)),
    "imputation": _optional(lambda data: _tuples(Imputation, data)),
    "rerandomization": _optional(lambda data: _tuples(Rerandomization, data)),
}


# --- building and checking -----------------------------------------------------------


def _closest(value: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.7)
    return f"; did you mean {match[0]!r}?" if match else ""


def _unknown(where: str, value: str, choices: list[str], what: str) -> str:
    listed = ", ".join(repr(choice) for choice in choices) or "none"
    return f"{where}: {value!r} is not {what} (choices: {listed}){_closest(value, choices)}"


def _check_design(arms: list[dict]) -> list[str]:
    cells = {(bool(a["massager"]), bool(a["heat"])) for a in arms}
    missing = [
        f"massager={m}, heat={h}"
        for m in (False, True)
        for h in (False, True)
        if (m, h) not in cells
    ]
    if missing or len(arms) != 4:
        return [
            "arms: a 2x2 factorial needs exactly four arms, one per combination of massager"
            f" and heat; missing: {', '.join(missing) or 'none'} ({len(arms)} arms given)"
        ]
    return []


def _lower(label: str) -> str:
    """A label inside a sentence: its first letter in lower case, unless the label
    starts with an abbreviation ("RLS", "MOS")."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _scale_labels(config: dict) -> dict[str, tuple[str, str, str, str]]:
    """Each scale's label, instrument, better direction and family."""
    return {
        scale["code"]: (
            scale["label"],
            instrument,
            scale.get("better", "lower"),
            spec.get("family", spec["label"]),
        )
        for instrument, spec in config["instruments"].items()
        for scale in spec["scales"]
    }


def _inference(plan: dict[str, Any], analysis: dict[str, Any]) -> dict[str, str]:
    """An analysis' df method and covariance of the fixed effects: its own, else the
    analysis section's; without a df method, Satterthwaite for the model-based
    covariance and between-within for an empirical one (as SAS)."""
    vcov = analysis.get("vcov", plan.get("vcov", "model"))
    df = analysis.get("df_method")
    if df is None and vcov == plan.get("vcov", "model"):
        df = plan.get("df_method")
    if df is None:
        df = "satterthwaite" if vcov == "model" else "between-within"
    return {"df_method": df, "vcov": vcov}


def plan_problems(config: dict[str, Any]) -> list[str]:
    """Every cross-reference of ``config["analysis"]`` that points at nothing.

    Examples
    --------
    >>> config = _example_config()
    >>> config["analysis"]["multiplicity"]["family"][0] = "massager vs contrl"
    >>> config["analysis"]["primary"]["visit"] = "WEEK5"
    >>> visit, family = plan_problems(config)
    >>> print(visit)  # doctest: +NORMALIZE_WHITESPACE
    analysis.primary.visit: 'WEEK5' is not a post-baseline visit of IRLS
    (choices: 'WEEK1', 'WEEK2', 'WEEK3', 'WEEK4'); did you mean 'WEEK4'?
    >>> print(family)  # doctest: +NORMALIZE_WHITESPACE, +ELLIPSIS
    analysis.multiplicity.family[0]: 'massager vs contrl' is not a contrast of this design
    (choices: 'massager vs control', ...); did you mean 'massager vs control'?
    """
    problems = _check_design(config["arms"])
    if problems:
        return problems
    problems = [
        _unknown(where, value, choices, what)
        for where, value, choices, what in _references(config)
        if value not in choices
    ]
    for index, analysis in enumerate(config["analysis"]["analyses"]):
        chosen = _inference(config["analysis"], analysis)
        try:
            check_methods(chosen["df_method"], chosen["vcov"], "reml")
        except ValueError as error:
            problems.append(
                f"analysis.analyses[{index}] ({analysis['name']}): df_method"
                f" {chosen['df_method']!r} with vcov {chosen['vcov']!r}: {error}"
            )
    for key, values in (
        ("analyses", [analysis["name"] for analysis in config["analysis"]["analyses"]]),
        ("outcomes", config["analysis"]["outcomes"]),
    ):
        for name in sorted({n for n in values if values.count(n) > 1}):
            problems.append(f"analysis.{key}: {name!r} is listed twice")
    return problems


def _references(config: dict[str, Any]) -> list[tuple[str, Any, list[str], str]]:
    """Every reference of the plan: (key path, value, the valid choices, what it must be)."""
    design = Design.from_config(config["arms"], config["visits"])
    plan = config["analysis"]
    scales = sorted(_scale_labels(config))
    contrasts = [contrast.name for contrast in design.contrasts]
    names = [analysis["name"] for analysis in plan["analyses"]]
    references = [
        (f"analysis.outcomes[{k}]", outcome, scales, "a scale of any instrument")
        for k, outcome in enumerate(plan["outcomes"])
    ]
    references += _primary_references(config, design, names)
    references += [
        (f"analysis.multiplicity.family[{k}]", name, contrasts, "a contrast of this design")
        for k, name in enumerate(plan["multiplicity"]["family"])
    ]
    if plan.get("responder"):
        references.append(_responder_reference(config, design, scales))
    references += _model_references("analysis", plan)
    for k, analysis in enumerate(plan["analyses"]):
        references += _model_references(f"analysis.analyses[{k}]", analysis)
    for k, entry in enumerate(config.get("published", [])):
        references += _published_references(f"published[{k}]", entry, design, scales, names)
    return references


def _responder_reference(config, design: Design, scales: list[str]) -> tuple:
    """The responder outcome must be measured at the primary visit (when that visit
    exists; otherwise the visit's own problem is the one to report)."""
    outcome, visit = (
        config["analysis"]["responder"]["outcome"],
        config["analysis"]["primary"]["visit"],
    )
    if visit not in [v.code for v in design.post_baseline_visits]:
        return ("analysis.responder.outcome", outcome, scales, "a scale of any instrument")
    what = f"a scale measured at the primary visit {visit}"
    return ("analysis.responder.outcome", outcome, _measured_at(config, visit), what)


def _measured_at(config: dict[str, Any], visit: str) -> list[str]:
    """The scales whose instrument is scheduled at ``visit``."""
    return sorted(
        scale["code"]
        for spec in config["instruments"].values()
        if visit in spec["visits"]
        for scale in spec["scales"]
    )


def _primary_references(config, design: Design, names: list[str]) -> list[tuple]:
    plan = config["analysis"]
    primary = plan["primary"]
    instrument = _scale_labels(config).get(primary["outcome"], ("", ""))[1]
    scheduled = config["instruments"].get(instrument, {}).get("visits")
    post = [
        visit.code
        for visit in design.post_baseline_visits
        if scheduled is None or visit.code in scheduled
    ]
    measured = f"a post-baseline visit of {instrument}" if instrument else "a post-baseline visit"
    pairwise = [c.name for c in design.contrasts if c.kind == "vs control"]
    return [
        (
            "analysis.primary.outcome",
            primary["outcome"],
            plan["outcomes"],
            "an analysed outcome (analysis.outcomes)",
        ),
        ("analysis.primary.visit", primary["visit"], post, measured),
        (
            "analysis.primary.contrast",
            primary["contrast"],
            pairwise,
            "an active arm versus control",
        ),
        (
            "analysis.primary.analysis",
            primary.get("analysis", names[0]),
            names,
            "an analysis of the plan",
        ),
    ]


def _published_references(where: str, entry: dict, design: Design, scales, names) -> list:
    """A published result must name a scale, an analysis, a visit label and a contrast
    of this plan, or it could never be set beside ours (an outcome this run does not
    analyse is noted in the replication table)."""
    visits = [visit.label for visit in design.post_baseline_visits]
    contrasts = [contrast.name for contrast in design.contrasts]
    return [
        (f"{where}.outcome", entry["outcome"], scales, "a scale of any instrument"),
        (f"{where}.analysis", entry["analysis"], names, "an analysis of the plan"),
        (f"{where}.visit", entry["visit"], visits, "the label of a post-baseline visit"),
        (f"{where}.contrast", entry["contrast"], contrasts, "a contrast of this design"),
    ]


def _model_references(where: str, settings: dict) -> list[tuple[str, Any, list[str], str]]:
    references = []
    if "population" in settings:
        references.append(
            (
                f"{where}.population",
                settings["population"],
                list(POPULATION_FLAGS),
                "a population flag of adsl",
            )
        )
    references += [
        (f"{where}.covariates[{k}]", covariate, list(COVARIATES), "a baseline covariate")
        for k, covariate in enumerate(settings.get("covariates", []))
    ]
    return references


def build_plan(config: dict[str, Any]) -> Plan:
    """The analysis plan of a schema-validated configuration.

    Raises
    ------
    PlanError
        Listing every broken cross-reference at once (see :func:`plan_problems`).

    Examples
    --------
    >>> plan = build_plan(_example_config())
    >>> plan.design.control, plan.primary_contrast.active, plan.multiplicity.method
    ('control', 'massager', 'holm')
    >>> [a.population for a in plan.analyses]
    ['ITTFL', 'ITTFL', 'ITTFL', 'PPROTFL', 'ITTFL']
    >>> [a.inference for a in plan.analyses if a.name in ("mmrm", "robust")]
    ['Satterthwaite df, model-based SE', 'between-within df, empirical (sandwich) SE']
    """
    problems = plan_problems(config)
    if problems:
        raise PlanError("the analysis plan has problems:\n  - " + "\n  - ".join(problems))
    design = Design.from_config(config["arms"], config["visits"])
    plan = config["analysis"]
    order = {contrast.name: k for k, contrast in enumerate(design.contrasts)}
    scales = _scale_labels(config)
    return Plan(
        design=design,
        outcomes=tuple(Outcome(code, *scales[code]) for code in plan["outcomes"]),
        primary=Primary(
            outcome=plan["primary"]["outcome"],
            visit=plan["primary"]["visit"],
            contrast=plan["primary"]["contrast"],
            analysis=plan["primary"].get("analysis", plan["analyses"][0]["name"]),
        ),
        population=plan["population"],
        alpha=float(plan["alpha"]),
        multiplicity=Multiplicity(
            plan["multiplicity"]["method"],
            tuple(sorted(set(plan["multiplicity"]["family"]), key=order.__getitem__)),
        ),
        model=ModelSettings(plan["covariance"], tuple(plan["fallback"])),
        analyses=tuple(
            Analysis(
                name=a["name"],
                baseline=a["baseline"],
                model=a.get("model", "mmrm"),
                population=a.get("population", plan["population"]),
                covariates=tuple(a.get("covariates", plan["covariates"])),
                **_inference(plan, a),
            )
            for a in plan["analyses"]
        ),
        responder=Responder(**plan["responder"]) if plan.get("responder") else None,
        imputation=_optional(lambda data: _tuples(Imputation, data))(plan.get("imputation")),
        rerandomization=_optional(lambda data: _tuples(Rerandomization, data))(
            plan.get("rerandomization")
        ),
    )


def _example_config() -> dict:
    """The bundled default configuration (for the examples)."""
    from rlstrial.config import load_config

    return load_config("config/config.yaml")


__all__ = [
    "Analysis",
    "Arm",
    "Contrast",
    "Design",
    "Imputation",
    "ModelSettings",
    "Multiplicity",
    "Outcome",
    "Plan",
    "PlanError",
    "Primary",
    "Rerandomization",
    "Responder",
    "Visit",
    "build_plan",
    "plan_problems",
]
