"""Loading and checking the workflow configuration.

The configuration is YAML, validated against ``schemas/config.schema.yaml`` (the same
schema the Snakefile validates against at start-up: ``workflow/rules/common.smk`` calls
:func:`validate_config`), then checked for consistency between its parts (an instrument
scheduled at an unknown visit, a recode map that is not declared, ...) and for output
folders that would write into the raw data (:func:`path_problems`). Every problem is
reported at once, in the style of :mod:`rlstrial.plan`: the key path, the bad value,
the valid choices and the closest match. Every object of the schema is closed, so a
misspelt key is an error, not a key silently ignored.

Configuration files hold plain values. A file with a ``__use_yte__`` key (Snakemake's
YAML templating, YTE, which evaluates the Python expressions in such a file when
Snakemake reads it) is refused. Snakemake renders a ``--configfile`` before any code
of the workflow runs, so to refuse such a file before anything in it is evaluated,
check it first: ``python -m rlstrial.config FILE...`` (the Makefile's targets do).
"""

from __future__ import annotations

import copy
import difflib
import functools
import sys
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(str(files("rlstrial") / "schemas" / "config.schema.yaml"))

#: The key that turns on Snakemake's YAML templating (YTE) in a configuration file.
TEMPLATE_KEY = "__use_yte__"
TEMPLATE_REFUSAL = (
    "templated configuration files are not accepted: Snakemake's YAML templating (YTE)"
    f" evaluates the Python expressions of a file that sets {TEMPLATE_KEY}: true;"
    " write plain values instead"
)


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


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read one configuration file as plain YAML, refusing a templated one.

    The file is read with ``yaml.safe_load``: nothing in it is evaluated.

    Parameters
    ----------
    path
        A YAML (or JSON) file whose top level is a mapping.

    Returns
    -------
    dict
        The file's content (empty for an empty file).

    Raises
    ------
    ConfigError
        When the file is not YAML, not a mapping, or has a ``__use_yte__`` key
        anywhere.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "my.yaml").write_text("__use_yte__: true\\ntrial:\\n  name: ?str(1)\\n")
    >>> read_config_file(folder / "my.yaml")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    rlstrial.config.ConfigError: .../my.yaml: __use_yte__: templated configuration files
    are not accepted: ...
    """
    try:
        with open(path, encoding="utf-8") as handle:
            content = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys to values"
            f" (found {type(content).__name__})"
        )
    found = template_keys(content)
    if found:
        raise ConfigError(f"{path}: {', '.join(found)}: {TEMPLATE_REFUSAL}")
    return content


def check_config_files(*paths: str | Path, rendered: bool = False) -> None:
    """Refuse templated configuration files, naming every one.

    Parameters
    ----------
    *paths
        Configuration files, read as plain YAML (:func:`read_config_file`).
    rendered
        True for files Snakemake has already read (in a Snakefile,
        ``check_config_files(*workflow.configfiles, rendered=True)``): the check then
        stops the run, but Snakemake renders a templated file, evaluating what it
        holds, before the Snakefile runs, and the message says so. To refuse a file
        before anything in it is evaluated, check it before Snakemake starts
        (``python -m rlstrial.config FILE...``).

    Raises
    ------
    ConfigError
        Listing each file that cannot be read as plain YAML or holds ``__use_yte__``.

    Examples
    --------
    >>> check_config_files("config/config.yaml", "config/park2020.yaml")
    """
    problems = []
    for path in paths:
        try:
            read_config_file(path)
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        note = (
            "\nSnakemake rendered these files before this check: any expression in them"
            " has already run. Check config files before running Snakemake:"
            " python -m rlstrial.config FILE..."
            if rendered
            else ""
        )
        raise ConfigError("configuration refused:\n  - " + "\n  - ".join(problems) + note)


def load_config(*paths: str | Path, overrides: dict | None = None) -> dict[str, Any]:
    """Read, merge, validate and check configuration files.

    Parameters
    ----------
    *paths
        YAML files, later ones deep-merged over earlier ones (as
        ``snakemake --configfile`` does over the Snakefile's ``configfile``). Each is
        read as plain YAML (:func:`read_config_file`): a templated file is refused
        and nothing in it is evaluated.
    overrides
        Values merged last, like ``snakemake --config``.

    Returns
    -------
    dict
        The configuration with the schema's defaults filled in.

    Raises
    ------
    ConfigError
        When a file is templated, or the merged configuration breaks the schema or is
        inconsistent.

    Examples
    --------
    >>> cfg = load_config("config/config.yaml")
    >>> [arm["code"] for arm in cfg["arms"]]
    ['control', 'massager', 'heat', 'combined']
    """
    config: dict[str, Any] = {}
    for path in paths:
        config = deep_merge(config, read_config_file(path))
    if overrides:
        config = deep_merge(config, overrides)
    return validate_config(config)


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Validate ``config`` against the schema (filling defaults) and check it.

    In order, each step reporting every problem it finds at once: no key of
    Snakemake's YAML templating (:data:`TEMPLATE_KEY`, anywhere); the schema
    (:func:`schema_problems`: unknown keys with the closest declared key, values of
    the wrong type or out of range); then the output folders stay out of the raw
    folder (:func:`path_problems`), the parts agree with each other
    (:func:`consistency_problems`) and every reference of the analysis plan exists
    (:func:`rlstrial.plan.plan_problems`).

    Parameters
    ----------
    config
        The merged configuration; modified in place by the filling of defaults (as
        ``snakemake.utils.validate`` does).

    Returns
    -------
    dict
        ``config``, with the schema's defaults filled in.

    Raises
    ------
    ConfigError
        Listing every problem, one per line, each starting with its key path.

    Examples
    --------
    >>> config = load_config("config/config.yaml")
    >>> config["anlysis"] = config.pop("analysis")
    >>> config["arms"][0]["lable"] = "None"
    >>> validate_config(config)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    rlstrial.config.ConfigError: configuration does not match config.schema.yaml:
      - arms[0].lable: unknown key (choices: 'code', 'label', 'massager', 'heat');
        did you mean 'label'?
      - anlysis: unknown key (choices: 'trial', 'paths', ...); did you mean 'analysis'?
    """
    found = template_keys(config)
    if found:
        raise ConfigError(f"configuration refused: {', '.join(found)}: {TEMPLATE_REFUSAL}")
    problems = schema_problems(config)
    if problems:
        raise ConfigError(
            f"configuration does not match {SCHEMA_PATH.name}:\n  - " + "\n  - ".join(problems)
        )
    from rlstrial.plan import plan_problems

    problems = path_problems(config) + consistency_problems(config)
    if "analysis" in config:
        problems += plan_problems(config)
    if problems:
        raise ConfigError("configuration is inconsistent:\n  - " + "\n  - ".join(problems))
    return config


def template_keys(node: Any, where: str = "") -> list[str]:
    """The key path of every ``__use_yte__`` key in ``node``, at any depth.

    Examples
    --------
    >>> template_keys({"__use_yte__": True, "a": [{"b": {"__use_yte__": False}}]})
    ['__use_yte__', 'a[0].b.__use_yte__']
    """
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            path = _join(where, key)
            if key == TEMPLATE_KEY:
                found.append(path)
            found += template_keys(value, path)
    elif isinstance(node, list):
        for k, value in enumerate(node):
            found += template_keys(value, f"{where}[{k}]")
    return found


# --- the schema ----------------------------------------------------------------------


def schema_problems(config: dict[str, Any]) -> list[str]:
    """Every way ``config`` breaks the schema, in the order of the configuration,
    filling the schema's defaults in place.

    An unknown key is named with its key path, the keys declared at that place and
    the closest of them; a value outside an enumeration with the choices and the
    closest; any other violation with jsonschema's description.

    Examples
    --------
    >>> config = load_config("config/config.yaml")
    >>> config["analysis"]["aplha"] = 0.01
    >>> config["analysis"]["analyses"][1]["baseline"] = "cdla"
    >>> for problem in schema_problems(config):
    ...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
    analysis.analyses[1].baseline: 'cdla' is not an allowed value
    (choices: 'covariate', 'clda', 'none'); did you mean 'clda'?
    analysis.aplha: unknown key (choices: 'estimand', 'population', 'outcomes', 'primary',
    'covariates', 'covariance', 'fallback', 'df_method', 'vcov', 'alpha', 'multiplicity',
    'imputation', 'rerandomization', 'responder', 'analyses'); did you mean 'alpha'?
    """
    located = {
        (_position(config, parts), problem): None
        for error in _validator().iter_errors(config)
        for parts, problem in _describe(error)
    }
    return [problem for _, problem in sorted(located, key=lambda item: item[0])]


def _position(config: Any, parts: list[str | int]) -> tuple[int, ...]:
    """Where a key path is in the configuration: the rank of each key among its
    siblings (dictionaries keep the order of the files), of each item in its list."""
    position, node = [], config
    for part in parts:
        if isinstance(node, dict) and part in node:
            position.append(list(node).index(part))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            position.append(part)
        else:
            return (*position, len(node) if isinstance(node, dict | list) else 0)
        node = node[part]
    return tuple(position)


@functools.cache
def _schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def _validator_class():
    """jsonschema's 2020-12 validator that also fills in the schema's defaults (as
    ``snakemake.utils.validate`` does; each default a fresh copy)."""
    from jsonschema import Draft202012Validator, validators

    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def fill_defaults(validator, properties, instance, schema):
        if validator.is_type(instance, "object"):
            for name, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from check_properties(validator, properties, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": fill_defaults})


def _validator():
    return _validator_class()(_schema())


def _describe(error) -> list[tuple[list[str | int], str]]:
    """The problems of one jsonschema error: (key path as a list, message)."""
    parts = list(error.absolute_path)
    where = _key_path(parts)
    if error.validator == "additionalProperties" and error.validator_value is False:
        declared = list(error.schema.get("properties", {}))
        listed = ", ".join(repr(key) for key in declared) or "none"
        return [
            (
                [*parts, key],
                f"{_join(where, key)}: unknown key (choices: {listed}){_closest(key, declared)}",
            )
            for key in error.instance
            if key not in declared
        ]
    if error.validator == "required":  # one error per missing key, each naming all
        return [
            ([*parts, key], f"{_join(where, key)}: required key is missing")
            for key in error.validator_value
            if key not in error.instance
        ]
    if error.validator == "enum":
        choices = list(error.validator_value)
        listed = ", ".join(repr(choice) for choice in choices)
        closest = _closest(error.instance, [str(choice) for choice in choices])
        message = f"{error.instance!r} is not an allowed value (choices: {listed}){closest}"
        return [(parts, f"{where or '(top level)'}: {message}")]
    return [(parts, f"{where or '(top level)'}: {error.message}")]


def _closest(value: Any, choices: list[str]) -> str:
    match = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.7)
    return f"; did you mean {match[0]!r}?" if match else ""


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _key_path(parts: Iterable[str | int]) -> str:
    """A key path as the messages print it.

    Examples
    --------
    >>> _key_path(["analysis", "analyses", 3, "population"])
    'analysis.analyses[3].population'
    """
    where = ""
    for part in parts:
        where = f"{where}[{part}]" if isinstance(part, int) else _join(where, part)
    return where


# --- the folders ---------------------------------------------------------------------


def path_problems(config: dict[str, Any]) -> list[str]:
    """The output folders (``paths.processed``, ``paths.results``) that would write into
    the raw data: each must not be the raw folder, sit inside it or contain it.

    Paths are resolved (relative ones against the working directory, as the workflow
    uses them; symbolic links followed). ``processed`` and ``results`` may be the same
    folder or one inside the other.

    Examples
    --------
    >>> config = {"paths": {"raw": "/trial/raw", "processed": "/trial/raw/processed",
    ...                     "results": "/trial"}}
    >>> for problem in path_problems(config):
    ...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
    paths.processed: '/trial/raw/processed' (resolved: /trial/raw/processed) is inside
    the raw folder, paths.raw '/trial/raw' (resolved: /trial/raw); outputs must go to a
    folder that is not the raw folder, not inside it and does not contain it
    paths.results: '/trial' (resolved: /trial) contains the raw folder, paths.raw
    '/trial/raw' (resolved: /trial/raw); outputs must go to a folder that is not the raw
    folder, not inside it and does not contain it
    >>> path_problems({"paths": {"raw": "raw", "processed": "out", "results": "out/results"}})
    []
    """
    paths = config["paths"]
    raw = Path(paths["raw"]).resolve()
    problems = []
    for key in ("processed", "results"):
        folder = Path(paths[key]).resolve()
        if folder == raw:
            relation = "is the raw folder"
        elif folder.is_relative_to(raw):
            relation = "is inside the raw folder"
        elif raw.is_relative_to(folder):
            relation = "contains the raw folder"
        else:
            continue
        problems.append(
            f"paths.{key}: {paths[key]!r} (resolved: {folder}) {relation}, paths.raw"
            f" {paths['raw']!r} (resolved: {raw}); outputs must go to a folder that is not"
            " the raw folder, not inside it and does not contain it"
        )
    return problems + _redcap_folder_problems(config)


def _redcap_folder_problems(config: dict[str, Any]) -> list[str]:
    """With ``source: redcap`` the workflow writes the raw folder it builds into
    ``redcap.folder``: that folder must hold neither ``paths.raw`` nor the exports."""
    if config.get("source") != "redcap":
        return []
    redcap = config.get("redcap", {})
    folder = Path(redcap.get("folder", "data/interim/redcap")).resolve()
    protected = {"paths.raw": config["paths"]["raw"]}
    protected |= {
        f"redcap.{key}": redcap[key] for key in ("dictionary", "records") if key in redcap
    }
    problems = []
    for key, path in protected.items():
        resolved = Path(path).resolve()
        if resolved == folder or resolved.is_relative_to(folder) or folder.is_relative_to(resolved):
            problems.append(
                f"redcap.folder: {redcap.get('folder')!r} (resolved: {folder}) would be written"
                f" by the workflow, but it overlaps {key} {path!r}; choose a folder of its own"
                " (default data/interim/redcap)"
            )
    return problems


# --- consistency ---------------------------------------------------------------------


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


def main(argv: list[str] | None = None) -> int:
    """Check configuration files as the workflow would, before Snakemake reads them.

    ``python -m rlstrial.config FILE...``: the files are read as plain YAML (nothing
    in them is evaluated; a templated file is refused), merged in order (as
    ``--configfile`` merges them) and validated. Prints every problem.

    Returns
    -------
    int
        0 when the configuration is valid, 1 when it is not, 2 without files.

    Examples
    --------
    >>> main(["config/config.yaml", "config/park2020.yaml"])
    rlstrial: configuration valid: config/config.yaml + config/park2020.yaml
    0
    """
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m rlstrial.config CONFIGFILE [CONFIGFILE ...]", file=sys.stderr)
        return 2
    try:
        load_config(*paths)
    except (ConfigError, OSError) as error:
        print(f"rlstrial: {error}", file=sys.stderr)
        return 1
    print(f"rlstrial: configuration valid: {' + '.join(paths)}")
    return 0


if __name__ == "__main__":
    # run the importable module's main, whose ConfigError is the one rlstrial.plan raises
    from rlstrial.config import main as _main

    raise SystemExit(_main())
