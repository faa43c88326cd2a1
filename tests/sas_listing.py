"""Read the tables of a SAS PROC MIXED listing (text output) into DataFrames.

Used by the tests to compare against ../shared/reference/mmrm-fev/ at run time; no
number from those listings is copied into the project.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

TITLES = {
    "Covariance Parameter Estimates": "covparms",
    "Fit Statistics": "fit",
    "Solution for Fixed Effects": "solution",
    "Type 3 Tests of Fixed Effects": "type3",
    "Least Squares Means": "lsmeans",
    "Differences of Least Squares Means": "diffs",
    "Tests of Effect Slices": "slices",
    "Iteration History": "iterations",
    "Null Model Likelihood Ratio Test": "null",
}
HEADER_WORDS = {"Effect", "Cov", "Parm", "Standard", "Num", "Den", "Iteration", "DF"}
NUMBER = re.compile(r"^[<>]?-?(\d+\.?\d*|\.\d+)(E[-+]?\d+)?$")


def _value(token: str) -> float:
    if token == ".":
        return float("nan")
    return float(token.lstrip("<>"))


def read_listing(path: str | Path) -> dict[str, list[list[str]]]:
    """Rows (lists of tokens, split on runs of 2+ spaces) of each known table."""
    tables: dict[str, list[list[str]]] = {key: [] for key in TITLES.values()}
    mode = None
    for raw in Path(path).read_text(encoding="latin-1").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line in TITLES:
            mode = TITLES[line]
            continue
        if "The SAS System" in line or line == "The Mixed Procedure":
            continue
        if line in ("Convergence criteria met.",) or line.startswith("Estimated R"):
            mode = None
            continue
        if mode is None:
            continue
        tokens = re.split(r"\s{2,}", line)
        if tokens[0] in HEADER_WORDS or not any(NUMBER.match(t) for t in tokens):
            continue
        tables[mode].append(tokens)
    return tables


def minus2_log_likelihood(path) -> float:
    """The final -2 (Res) log-likelihood of the iteration history (8 decimals)."""
    rows = read_listing(path)["iterations"]
    return float(rows[-1][2]) if len(rows[-1]) >= 3 else float("nan")


def covariance_parameters(path) -> dict[str, float]:
    out = {}
    for tokens in read_listing(path)["covparms"]:
        numbers = [t for t in tokens[1:] if NUMBER.match(t)]
        out[tokens[0]] = _value(numbers[0])
    return out


def fit_statistics(path) -> dict[str, float]:
    out = {}
    for tokens in read_listing(path)["fit"]:
        label = tokens[0]
        key = {"AIC": "aic", "AICC": "aicc", "BIC": "bic"}.get(label.split(" ")[0], "minus2")
        out[key] = _value(tokens[-1])
    return out


def solution(path) -> pd.DataFrame:
    """Fixed effects with a standard error: effect, levels (tuple), estimate, se, df."""
    rows = []
    for tokens in read_listing(path)["solution"]:
        effect = tokens[0]
        n_levels = 0 if effect == "Intercept" else effect.count("*") + 1
        values = tokens[1 + n_levels :]
        if values[1] == ".":
            continue
        rows.append(
            {
                "effect": effect,
                "levels": tuple(tokens[1 : 1 + n_levels]),
                "estimate": _value(values[0]),
                "se": _value(values[1]),
                "df": _value(values[2]),
                "estimate_text": values[0],
                "se_text": values[1],
            }
        )
    return pd.DataFrame(rows)


def type3(path) -> pd.DataFrame:
    rows = []
    for tokens in read_listing(path)["type3"]:
        rows.append(
            {
                "effect": tokens[0],
                "num_df": _value(tokens[1]),
                "den_df": _value(tokens[2]),
                "f_value": _value(tokens[4]),
                "f_text": tokens[4],
            }
        )
    return pd.DataFrame(rows)


def lsmeans(path, n_levels: int = 2) -> pd.DataFrame:
    """LS-means of an effect of ``n_levels`` class variables."""
    rows = []
    for tokens in read_listing(path)["lsmeans"]:
        values = tokens[1 + n_levels :]
        rows.append(
            {
                "levels": tuple(tokens[1 : 1 + n_levels]),
                "estimate": _value(values[0]),
                "se": _value(values[1]),
                "df": _value(values[2]),
                "estimate_text": values[0],
                "se_text": values[1],
                "lower": _value(values[6]),
                "upper": _value(values[7]),
            }
        )
    return pd.DataFrame(rows)


def differences(path, n_levels: int = 2) -> pd.DataFrame:
    """Differences of LS-means of an effect of ``n_levels`` class variables."""
    rows = []
    for tokens in read_listing(path)["diffs"]:
        values = tokens[1 + 2 * n_levels :]
        rows.append(
            {
                "level_1": tuple(tokens[1 : 1 + n_levels]),
                "level_2": tuple(tokens[1 + n_levels : 1 + 2 * n_levels]),
                "estimate": _value(values[0]),
                "se": _value(values[1]),
                "df": _value(values[2]),
                "estimate_text": values[0],
                "se_text": values[1],
            }
        )
    return pd.DataFrame(rows)


def slices(path) -> pd.DataFrame:
    rows = []
    for tokens in read_listing(path)["slices"]:
        rows.append(
            {
                "level": tokens[1],
                "num_df": _value(tokens[2]),
                "den_df": _value(tokens[3]),
                "f_value": _value(tokens[4]),
                "f_text": tokens[4],
            }
        )
    return pd.DataFrame(rows)


def last_digit(text: str) -> float:
    """One unit in the last printed digit of a SAS number ("3.7745" -> 0.0001)."""
    text = text.lstrip("<>-")
    if "E" in text.upper():
        mantissa, exponent = text.upper().split("E")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return 10.0 ** (int(exponent) - decimals)
    return 10.0 ** -(len(text.split(".")[1]) if "." in text else 0)
