"""Configuration: schema validation, defaults, merging and consistency checks."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

from rlstrial.config import ConfigError, arm_table, deep_merge, load_config, validate_config


def base() -> dict:
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_defaults_are_filled(default_config):
    assert default_config["out_of_window"] == "keep"
    assert default_config["instruments"]["IRLS"]["scales"][1]["recode"] == []


def test_park_config_is_merged_over_the_default(park_config):
    assert park_config["paths"]["raw"] == "data/park2020/raw"
    assert [v["code"] for v in park_config["visits"]] == ["WEEK0", "WEEK4"]
    assert park_config["instruments"]["MOS"]["visits"] == ["WEEK0", "WEEK4"]
    # untouched parts of the default remain
    assert len(park_config["instruments"]["MOS"]["scales"]) == 9


def test_overrides_merge_last(default_config):
    config = load_config(ROOT / "config" / "config.yaml", overrides={"out_of_window": "exclude"})
    assert config["out_of_window"] == "exclude"


def test_deep_merge_does_not_modify_its_inputs():
    left, right = {"a": {"b": 1}}, {"a": {"c": 2}}
    assert deep_merge(left, right) == {"a": {"b": 1, "c": 2}}
    assert left == {"a": {"b": 1}} and right == {"a": {"c": 2}}


def test_schema_violation_names_the_key():
    config = base()
    config["out_of_window"] = "drop"
    with pytest.raises(ConfigError, match="drop"):
        validate_config(config)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["instruments"]["IRLS"]["visits"].append("WEEK9"), "unknown visit 'WEEK9'"),
        (
            lambda c: c["instruments"]["MOS"]["scales"][0]["recode"][0].update(map="latencyy"),
            "recode map 'latencyy' is not declared",
        ),
        (lambda c: c["arms"][1].update(massager=False), "same massager and heat levels"),
        (lambda c: c["visits"][0].update(baseline=False), "exactly one visit"),
        (lambda c: c.update(arm_aliases={"Massage": "massage"}), "unknown arm 'massage'"),
        (
            lambda c: c["instruments"]["IRLS"]["scales"][0].update(max_missing=10),
            "max_missing must be below",
        ),
        (
            lambda c: c["instruments"]["IRLS"]["scales"][1]["items"].append(11),
            "item 11 is not declared",
        ),
    ],
)
def test_inconsistencies_are_named(change, message):
    config = copy.deepcopy(base())
    change(config)
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_arm_table(default_config):
    table = arm_table(default_config)
    assert table.loc[table["code"] == "combined", ["massager", "heat"]].values.tolist() == [
        [True, True]
    ]


# --- one-line changes to a copy of config/config.yaml ----------------------------------

BUNDLED = ROOT / "config" / "config.yaml"


def edited(tmp_path, old: str, new: str):
    """A copy of the bundled config with the one line ``old`` replaced by ``new``."""
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    assert lines.count(old) == 1, old
    lines[lines.index(old)] = new
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refusal(path, *more) -> str:
    with pytest.raises(ConfigError) as error:
        load_config(path, *more)
    return str(error.value)


TOP_KEYS = (
    "'trial', 'paths', 'source', 'redcap', 'arms', 'arm_aliases', 'visits', 'out_of_window',"
    " 'ranges', 'instruments', 'reasons', 'populations', 'analysis', 'power',"
    " 'meta_analysis', 'figures', 'published', 'simulation'"
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (  # top level
            "analysis:",
            "anlysis:",
            f"  - anlysis: unknown key (choices: {TOP_KEYS}); did you mean 'analysis'?",
        ),
        (  # nested
            "  alpha: 0.05",
            "  aplha: 0.05",
            "  - analysis.aplha: unknown key (choices: 'estimand', 'population', 'outcomes',"
            " 'primary', 'covariates', 'covariance', 'fallback', 'df_method', 'vcov', 'alpha',"
            " 'multiplicity', 'imputation', 'rerandomization', 'responder', 'analyses');"
            " did you mean 'alpha'?",
        ),
        (  # an item of a list: an arm
            '  - {code: massager, label: "Foot massager", massager: true, heat: false}',
            '  - {code: massager, lable: "Foot massager", massager: true, heat: false}',
            "  - arms[1].lable: unknown key (choices: 'code', 'label', 'massager', 'heat');"
            " did you mean 'label'?",
        ),
        (  # an item of a list: an analysis
            "    - {name: per_protocol, baseline: covariate, population: PPROTFL}  # sensitivity",
            "    - {name: per_protocol, baseline: covariate, populaton: PPROTFL}",
            "  - analysis.analyses[3].populaton: unknown key (choices: 'name', 'baseline',"
            " 'model', 'population', 'covariates', 'df_method', 'vcov'); did you mean"
            " 'population'?",
        ),
        (  # inside an instrument, keyed by its code
            "        max_missing: 4",
            "        max_mising: 4",
            "  - instruments.MOS.scales[0].max_mising: unknown key (choices: 'code', 'label',"
            " 'better', 'items', 'recode', 'aggregate', 'max_missing', 'bands', 'indicator');"
            " did you mean 'max_missing'?",
        ),
        (
            "  n_randomized: 240",
            "  n_randomised: 240",
            "did you mean 'n_randomized'?",
        ),
        (  # no close match: the choices only
            "out_of_window: keep",
            "colour: blue",
            f"  - colour: unknown key (choices: {TOP_KEYS})\n",
        ),
        (  # a value outside an enumeration
            "out_of_window: keep",
            "out_of_window: kept",
            "  - out_of_window: 'kept' is not an allowed value (choices: 'keep', 'exclude');"
            " did you mean 'keep'?",
        ),
    ],
)
def test_unknown_keys_are_named_with_the_closest_key(tmp_path, old, new, message):
    text = refusal(edited(tmp_path, old, new)) + "\n"
    assert text.startswith("configuration does not match config.schema.yaml:\n")
    assert message in text


def test_every_unknown_key_is_reported_at_once(tmp_path):
    config = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    config["anlysis"] = {}
    config["analysis"]["aplha"] = 0.01
    config["arms"][2]["hot"] = True
    config["analysis"]["analyses"][1]["modle"] = "mmrm"
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    paths = [line.split(":")[0] for line in str(error.value).splitlines()[1:]]
    assert paths == [  # in the order of the configuration
        "  - arms[2].hot",
        "  - analysis.analyses[1].modle",
        "  - analysis.aplha",
        "  - anlysis",
    ]


def test_the_bundled_and_test_configs_declare_only_known_keys():
    """The schema says what is allowed: every config the project and its tests build
    validates (the Park merge, the tiny config, the workflow tests' config)."""
    from conftest import tiny_config

    from rlstrial.config import schema_problems

    park = yaml.safe_load((ROOT / "config" / "park2020.yaml").read_text(encoding="utf-8"))
    park["paths"] = {"raw": "data/park2020/raw", "processed": "/tmp/p", "results": "/tmp/r"}
    for config in (
        base(),
        deep_merge(base(), park),
        tiny_config(),
        deep_merge(base(), {"figures": {"dpi": 150}, "simulation": {"dropout_rate": 0.3}}),
    ):
        assert schema_problems(config) == []


# --- the folders -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "relation"),
    [
        ("  processed: data/processed", "  processed: data/raw", "processed", "is the raw folder"),
        (
            "  processed: data/processed",
            "  processed: data/raw/processed",
            "processed",
            "is inside the raw folder",
        ),
        ("  results: results", "  results: data", "results", "contains the raw folder"),
        ("  results: results", "  results: ./results/../data/raw/", "results", "is the raw folder"),
    ],
)
def test_output_folders_may_not_touch_the_raw_folder(
    tmp_path, monkeypatch, old, new, key, relation
):
    monkeypatch.chdir(tmp_path)
    here = tmp_path.resolve()
    value = new.split(": ")[1]
    resolved = (here / value).resolve()
    message = (
        f"configuration is inconsistent:\n  - paths.{key}: {value!r} (resolved: {resolved})"
        f" {relation}, paths.raw 'data/raw' (resolved: {here / 'data' / 'raw'}); outputs must"
        " go to a folder that is not the raw folder, not inside it and does not contain it"
    )
    assert refusal(edited(tmp_path, old, new)) == message


def test_a_symbolic_link_into_the_raw_folder_is_followed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "out").symlink_to(tmp_path / "data" / "raw")
    text = refusal(edited(tmp_path, "  processed: data/processed", "  processed: out/processed"))
    assert f"(resolved: {tmp_path.resolve() / 'data/raw/processed'}) is inside" in text


@pytest.mark.parametrize("results", ["data/processed", "data/processed/results"])
def test_processed_and_results_may_share_a_folder(tmp_path, monkeypatch, results):
    monkeypatch.chdir(tmp_path)
    config = load_config(edited(tmp_path, "  results: results", f"  results: {results}"))
    assert config["paths"]["results"] == results


# --- templated configs -----------------------------------------------------------------

EXPRESSION = "?__import__('pathlib').Path('{marker}').write_text('evaluated') and 'x'"


def templated(tmp_path):
    """A copy of the bundled config with templating turned on, and an expression that
    leaves a marker file when it is evaluated."""
    marker = tmp_path / "evaluated"
    path = edited(tmp_path, "trial:", "__use_yte__: true\ntrial:")
    text = path.read_text(encoding="utf-8").replace(
        '  name: "RLS 2x2 factorial trial (synthetic, default)"',
        f'  name: "{EXPRESSION.format(marker=marker)}"',
    )
    path.write_text(text, encoding="utf-8")
    return path, marker


def test_a_templated_config_is_refused_without_evaluating_it(tmp_path):
    path, marker = templated(tmp_path)
    assert refusal(path) == (
        f"{path}: __use_yte__: templated configuration files are not accepted: Snakemake's"
        " YAML templating (YTE) evaluates the Python expressions of a file that sets"
        " __use_yte__: true; write plain values instead"
    )
    assert not marker.exists()


def test_the_template_key_is_refused_in_a_merged_config():
    """However it arrives (snakemake --config, a nested key Snakemake leaves in place)."""
    for change in ({"__use_yte__": True}, {"analysis": {"__use_yte__": True}}):
        with pytest.raises(ConfigError) as error:
            validate_config(deep_merge(base(), change))
        assert str(error.value).startswith(
            f"configuration refused: {'analysis.' if 'analysis' in change else ''}__use_yte__:"
            " templated configuration files are not accepted"
        )


def test_snakemake_renders_a_templated_config_before_the_workflow_sees_it(tmp_path):
    """Why the files must be checked before Snakemake starts: its loader evaluates the
    expressions and drops the key, so validate_config never sees it."""
    from snakemake.common.configfile import load_configfile

    path, marker = templated(tmp_path)
    config = load_configfile(path)
    assert marker.read_text() == "evaluated"
    assert "__use_yte__" not in config and config["trial"]["name"] == "x"


def test_check_config_files_names_every_refused_file(tmp_path):
    from rlstrial.config import check_config_files

    path, _ = templated(tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text("figures: {dpi: 150}\n__use_yte__: false\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        check_config_files(BUNDLED, path, other, rendered=True)
    lines = str(error.value).splitlines()
    assert lines[0] == "configuration refused:"
    assert [line.split(": ")[0] for line in lines[1:3]] == [f"  - {path}", f"  - {other}"]
    assert lines[3].startswith("Snakemake rendered these files before this check")


def test_the_command_line_check_refuses_before_snakemake_reads_the_file(tmp_path):
    path, marker = templated(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "rlstrial.config", str(BUNDLED), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "templated configuration files are not accepted" in result.stderr
    assert not marker.exists()


def test_a_missing_required_key_is_named(tmp_path):
    rest = 'contrast: "massager vs control", analysis: mmrm}'
    old, new = (
        f"  primary: {{outcome: IRLSTOT, visit: WEEK4, {rest}",
        f"  primary: {{outcome: IRLSTOT, {rest}",
    )
    assert refusal(edited(tmp_path, old, new)) == (
        "configuration does not match config.schema.yaml:\n"
        "  - analysis.primary.visit: required key is missing"
    )
