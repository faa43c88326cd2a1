"""Configuration: schema validation, defaults, merging and consistency checks."""

from __future__ import annotations

import copy

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
