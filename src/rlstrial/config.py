"""Loading and checking the workflow configuration.

The configuration is YAML, validated against ``schemas/config.schema.yaml`` (the same
schema the Snakefile validates against at start-up), then checked for consistency
between its parts (an instrument scheduled at an unknown visit, a recode map that is
not declared, ...).
"""

from __future__ import annotations

import copy
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(str(files("rlstrial") / "schemas" / "config.schema.yaml"))


class ConfigError(ValueError):
    """The configuration is invalid; the message says which key and why."""


def deep_merge(base: dict, override: dict) -> dict:
    """Merge ``override`` into a copy of ``base``, dictionaries recursively.

    Lists and scalars in ``override`` replace those in ``base``, as Snakemake does
    for ``--configfile``.

    Examples
    --------
    >>> deep_merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"c": 3}, "d": [2]})
    {'a': {'b': 1, 'c': 3}, 'd': [2]}
    """
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(*paths: str | Path, overrides: dict | None = None) -> dict[str, Any]:
    """Read, merge, validate and check configuration files.

    Parameters
    ----------
    *paths
        YAML files, later ones deep-merged over earlier ones (as
        ``snakemake --configfile`` does over the Snakefile's ``configfile``).
    overrides
        Values merged last, like ``snakemake --config``.

    Returns
    -------
    dict
        The configuration with the schema's defaults filled in.

    Raises
    ------
    ConfigError
        When the merged configuration breaks the schema or is inconsistent.

    Examples
    --------
    >>> cfg = load_config("config/config.yaml")
    >>> [arm["code"] for arm in cfg["arms"]]
    ['control', 'massager', 'heat', 'combined']
    """
    config: dict[str, Any] = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            config = deep_merge(config, yaml.safe_load(handle) or {})
    if overrides:
        config = deep_merge(config, overrides)
    return validate_config(config)


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Validate ``config`` against the schema (filling defaults) and check it: the
    parts agree with each other (:func:`consistency_problems`) and every reference of
    the analysis plan exists (:func:`rlstrial.plan.plan_problems`). Every problem is
    reported at once.

    Returns the validated configuration (the input is modified in place by the
    filling of defaults, as ``snakemake.utils.validate`` does).
    """
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    from rlstrial.plan import plan_problems

    try:
        validate(config, str(SCHEMA_PATH))
    except WorkflowError as error:
        raise ConfigError(f"configuration does not match {SCHEMA_PATH.name}: {error}") from None
    problems = consistency_problems(config)
    if "analysis" in config:
        problems += plan_problems(config)
    if problems:
        raise ConfigError("configuration is inconsistent:\n  - " + "\n  - ".join(problems))
    return config


def consistency_problems(config: dict[str, Any]) -> list[str]:
    """List every inconsistency between the parts of a schema-valid configuration."""
    visit_codes = [visit["code"] for visit in config["visits"]]
    problems = _arm_problems(config) + _visit_problems(config["visits"])
    paramcds: list[str] = []
    for name, instrument in config["instruments"].items():
        problems += _instrument_problems(f"instruments.{name}", instrument, visit_codes)
        paramcds += [scale["code"] for scale in instrument["scales"]]
    duplicated = sorted({code for code in paramcds if paramcds.count(code) > 1})
    if duplicated:
        problems.append(f"instruments: scale codes used twice: {duplicated}")
    return problems


def _arm_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    arm_codes = [arm["code"] for arm in config["arms"]]
    if len(set(arm_codes)) != len(arm_codes):
        problems.append(f"arms: codes are not unique: {arm_codes}")
    cells = [(arm["massager"], arm["heat"]) for arm in config["arms"]]
    if len(set(cells)) != len(cells):
        problems.append("arms: two arms have the same massager and heat levels")
    for alias, code in config.get("arm_aliases", {}).items():
        if code not in arm_codes:
            problems.append(f"arm_aliases: {alias!r} maps to unknown arm {code!r}")
    return problems


def _visit_problems(visits: list[dict]) -> list[str]:
    problems = []
    visit_codes = [visit["code"] for visit in visits]
    if len(set(visit_codes)) != len(visit_codes):
        problems.append(f"visits: codes are not unique: {visit_codes}")
    baselines = [visit["code"] for visit in visits if visit.get("baseline")]
    if len(baselines) != 1:
        problems.append(f"visits: exactly one visit must have baseline: true (found {baselines})")
    for visit in visits:
        first, last = visit["window"]
        if not first <= visit["target_day"] <= last:
            problems.append(f"visits: {visit['code']} target_day is outside its window")
    return problems


def _instrument_problems(where: str, instrument: dict, visit_codes: list[str]) -> list[str]:
    problems = [
        f"{where}.visits: unknown visit {code!r}"
        for code in instrument["visits"]
        if code not in visit_codes
    ]
    declared = [c for group in instrument["items"] for c in group["codes"]]
    if len(set(declared)) != len(declared):
        problems.append(f"{where}.items: an item code is declared twice")
    for group in instrument["items"]:
        if group["min"] > group["max"]:
            problems.append(f"{where}.items: min > max for items {group['codes']}")
    for map_name, recode in instrument.get("recodes", {}).items():
        if len(recode["from"]) != len(recode["to"]):
            problems.append(f"{where}.recodes.{map_name}: 'from' and 'to' differ in length")
    for scale in instrument["scales"]:
        problems += _scale_problems(f"{where}.scales.{scale['code']}", scale, instrument, declared)
    return problems


def _scale_problems(where: str, scale: dict, instrument: dict, declared: list[int]) -> list[str]:
    problems = [
        f"{where}: item {item} is not declared in {where.rsplit('.scales', 1)[0]}.items"
        for item in scale["items"]
        if item not in declared
    ]
    if scale["max_missing"] >= len(scale["items"]):
        problems.append(f"{where}: max_missing must be below the number of items")
    for rule in scale.get("recode", []):
        if rule["map"] not in instrument.get("recodes", {}):
            problems.append(f"{where}: recode map {rule['map']!r} is not declared")
        problems += [
            f"{where}: recoded item {item} is not in the scale"
            for item in rule["items"]
            if item not in scale["items"]
        ]
    return problems


def arm_table(config: dict[str, Any]):
    """The arms as a DataFrame: code, label, massager, heat, in config order.

    Examples
    --------
    >>> arm_table(load_config("config/config.yaml"))[["code", "massager", "heat"]]
           code  massager   heat
    0   control     False  False
    1  massager      True  False
    2      heat     False   True
    3  combined      True   True
    """
    import pandas as pd

    return pd.DataFrame(config["arms"])[["code", "label", "massager", "heat"]]
