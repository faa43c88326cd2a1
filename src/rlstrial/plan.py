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
from dataclasses import asdict, dataclass, field
from typing import Any

from rlstrial.config import ConfigError

FACTORS = ("massager", "heat")
INTERACTION = "massager x heat interaction"

#: adsl flags that can define an analysis population.
POPULATION_FLAGS = ("ITTFL", "SAFFL", "PPROTFL")
#: Baseline columns a model may adjust for (from adqs, or adsl joined by USUBJID).
COVARIATES = ("SITEID", "STRATUM", "AGE", "SEX", "RACE", "ETHNIC", "RLSDUR", "RLSMEDFL")
#: The plan's sections, in the order of :class:`Plan`'s fields.
SECTIONS = (
    "design",
    "outcomes",
    "primary",
    "model",
    "analyses",
    "responder",
    "imputation",
    "rerandomization",
)


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

    @property
    def arm_codes(self) -> list[str]:
        return [arm.code for arm in self.arms]

    @property
    def control(self) -> str:
        """The code of the arm with neither factor."""
        return self.arms[0].code

    @property
    def active_arms(self) -> list[str]:
        return self.arm_codes[1:]

    @property
    def arm_labels(self) -> dict[str, str]:
        return {arm.code: arm.label for arm in self.arms}

    @property
    def baseline_visit(self) -> Visit:
        return next(visit for visit in self.visits if visit.baseline)

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

    @classmethod
    def from_config(cls, arms: list[dict], visits: list[dict]) -> Design:
        """Arms sorted by their factor levels (control first), visits by week."""
        return cls(
            arms=tuple(
                sorted(
                    (
                        Arm(a["code"], a["label"], bool(a["massager"]), bool(a["heat"]))
                        for a in arms
                    ),
                    key=lambda arm: (arm.heat, arm.massager),
                )
            ),
            visits=tuple(
                sorted(
                    (
                        Visit(v["code"], v["label"], v["week"], bool(v.get("baseline", False)))
                        for v in visits
                    ),
                    key=lambda visit: (not visit.baseline, visit.week),
                )
            ),
        )


@dataclass(frozen=True)
class Outcome:
    """An analysed outcome: PARAMCD, its label, and the instrument that scores it."""

    code: str
    label: str
    instrument: str


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
    """Settings shared by every model of the plan."""

    population: str
    covariates: tuple[str, ...]
    covariance: str
    fallback: tuple[str, ...]
    alpha: float
    multiplicity: Multiplicity


@dataclass(frozen=True)
class Analysis:
    """One analysis of the plan, with its population and covariates resolved."""

    name: str
    baseline: str
    model: str
    population: str
    covariates: tuple[str, ...]


@dataclass(frozen=True)
class Responder:
    """The responder rule: an improvement of at least ``threshold`` points."""

    outcome: str
    threshold: float
    missing: str


@dataclass(frozen=True)
class Plan:
    """The analysis plan. Sections a job was not given are ``None``."""

    design: Design | None = None
    outcomes: tuple[Outcome, ...] | None = None
    primary: Primary | None = None
    model: ModelSettings | None = None
    analyses: tuple[Analysis, ...] | None = None
    responder: Responder | None = None
    imputation: dict | None = field(default=None, hash=False)
    rerandomization: dict | None = field(default=None, hash=False)

    def analysis(self, name: str) -> Analysis:
        """The analysis with this name."""
        return next(analysis for analysis in self.analyses if analysis.name == name)

    def outcome_label(self, code: str) -> str:
        return next(outcome.label for outcome in self.outcomes if outcome.code == code)

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
    if value is None:
        return None
    if isinstance(value, tuple) and value and hasattr(value[0], "__dataclass_fields__"):
        return [asdict(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return dict(value)


def _design_from_params(data: dict) -> Design:
    return Design(
        arms=tuple(Arm(**arm) for arm in data["arms"]),
        visits=tuple(Visit(**visit) for visit in data["visits"]),
    )


def _model_from_params(data: dict) -> ModelSettings:
    multiplicity = Multiplicity(
        data["multiplicity"]["method"], tuple(data["multiplicity"]["family"])
    )
    return ModelSettings(
        population=data["population"],
        covariates=tuple(data["covariates"]),
        covariance=data["covariance"],
        fallback=tuple(data["fallback"]),
        alpha=data["alpha"],
        multiplicity=multiplicity,
    )


def _optional(reader):
    return lambda data: None if data is None else reader(data)


_SECTION_READERS = {
    "design": _design_from_params,
    "outcomes": lambda data: tuple(Outcome(**item) for item in data),
    "primary": lambda data: Primary(**data),
    "model": _model_from_params,
    "analyses": lambda data: tuple(
        Analysis(**{**item, "covariates": tuple(item["covariates"])}) for item in data
    ),
    "responder": _optional(lambda data: Responder(**data)),
    "imputation": _optional(dict),
    "rerandomization": _optional(dict),
}


# --- building and checking -----------------------------------------------------------


def _closest(value: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
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


def _scale_labels(config: dict) -> dict[str, tuple[str, str]]:
    return {
        scale["code"]: (scale["label"], instrument)
        for instrument, spec in config["instruments"].items()
        for scale in spec["scales"]
    }


def plan_problems(config: dict[str, Any]) -> list[str]:
    """Every cross-reference of ``config["analysis"]`` that points at nothing.

    Examples
    --------
    >>> config = _example_config()
    >>> config["analysis"]["multiplicity"]["family"][0] = "massager vs contrl"
    >>> config["analysis"]["primary"]["visit"] = "WEEK5"
    >>> visit, family = plan_problems(config)
    >>> print(visit)  # doctest: +NORMALIZE_WHITESPACE
    analysis.primary.visit: 'WEEK5' is not a post-baseline visit
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
    names = [analysis["name"] for analysis in config["analysis"]["analyses"]]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"analysis.analyses: the name {name!r} is used twice")
    return problems


def _references(config: dict[str, Any]) -> list[tuple[str, Any, list[str], str]]:
    """Every reference of the plan: (key path, value, the valid choices, what it must be)."""
    design = Design.from_config(config["arms"], config["visits"])
    plan = config["analysis"]
    scales = sorted(_scale_labels(config))
    contrasts = [contrast.name for contrast in design.contrasts]
    pairwise = [c.name for c in design.contrasts if c.kind == "vs control"]
    post = [visit.code for visit in design.post_baseline_visits]
    names = [analysis["name"] for analysis in plan["analyses"]]
    primary = plan["primary"]
    references = [
        (f"analysis.outcomes[{k}]", outcome, scales, "a scale of any instrument")
        for k, outcome in enumerate(plan["outcomes"])
    ]
    references += [
        (
            "analysis.primary.outcome",
            primary["outcome"],
            plan["outcomes"],
            "an analysed outcome (analysis.outcomes)",
        ),
        ("analysis.primary.visit", primary["visit"], post, "a post-baseline visit"),
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
    references += [
        (f"analysis.multiplicity.family[{k}]", name, contrasts, "a contrast of this design")
        for k, name in enumerate(plan["multiplicity"]["family"])
    ]
    if plan.get("responder"):
        outcome = plan["responder"]["outcome"]
        references.append(
            ("analysis.responder.outcome", outcome, scales, "a scale of any instrument")
        )
    references += _model_references("analysis", plan)
    for k, analysis in enumerate(plan["analyses"]):
        references += _model_references(f"analysis.analyses[{k}]", analysis)
    return references


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
    >>> plan.design.control, plan.primary_contrast.active, plan.model.multiplicity.method
    ('control', 'massager', 'holm')
    >>> [a.population for a in plan.analyses]
    ['ITTFL', 'ITTFL', 'ITTFL', 'PPROTFL']
    """
    problems = plan_problems(config)
    if problems:
        raise PlanError("the analysis plan has problems:\n  - " + "\n  - ".join(problems))
    design = Design.from_config(config["arms"], config["visits"])
    plan = config["analysis"]
    order = {contrast.name: k for k, contrast in enumerate(design.contrasts)}
    model = ModelSettings(
        population=plan["population"],
        covariates=tuple(plan["covariates"]),
        covariance=plan["covariance"],
        fallback=tuple(plan["fallback"]),
        alpha=float(plan["alpha"]),
        multiplicity=Multiplicity(
            plan["multiplicity"]["method"],
            tuple(sorted(set(plan["multiplicity"]["family"]), key=order.__getitem__)),
        ),
    )
    scales = _scale_labels(config)
    responder = plan.get("responder")
    return Plan(
        design=design,
        outcomes=tuple(Outcome(code, *scales[code]) for code in plan["outcomes"]),
        primary=Primary(
            outcome=plan["primary"]["outcome"],
            visit=plan["primary"]["visit"],
            contrast=plan["primary"]["contrast"],
            analysis=plan["primary"].get("analysis", plan["analyses"][0]["name"]),
        ),
        model=model,
        analyses=tuple(
            Analysis(
                name=a["name"],
                baseline=a["baseline"],
                model=a.get("model", "mmrm"),
                population=a.get("population", model.population),
                covariates=tuple(a.get("covariates", model.covariates)),
            )
            for a in plan["analyses"]
        ),
        responder=Responder(**responder) if responder else None,
        imputation=dict(plan["imputation"]) if plan.get("imputation") is not None else None,
        rerandomization=(
            dict(plan["rerandomization"]) if plan.get("rerandomization") is not None else None
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
    "ModelSettings",
    "Multiplicity",
    "Outcome",
    "Plan",
    "PlanError",
    "Primary",
    "Responder",
    "Visit",
    "build_plan",
    "plan_problems",
]
