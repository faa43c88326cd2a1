"""A seeded simulation of small null trials: the primary test's type I error and its
95% CI coverage, each within Monte Carlo error of the nominal level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rlstrial.mmrm import fit_mmrm

N_TRIALS = 300
ARMS = np.array(["control", "massager", "heat", "combined"])


def null_trial(rng: np.random.Generator, n_per_arm: int = 8) -> pd.DataFrame:
    """4 arms x 3 visits, no treatment effect, unstructured-ish covariance, MAR dropout."""
    n, t = 4 * n_per_arm, 3
    lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
    sd = np.array([5.0, 6.0, 7.0])
    sigma = np.outer(sd, sd) * 0.6**lag
    y = rng.multivariate_normal([20.0, 18.0, 16.0], sigma, n)
    arm = np.repeat(ARMS, n_per_arm)
    rows = []
    for i in range(n):
        for v in range(t):
            if v > 0 and y[i, v - 1] > 26 and rng.random() < 0.5:
                break  # dropout depends on the last observed value (MAR)
            rows.append({"id": i, "arm": arm[i], "visit": f"V{v}", "y": y[i, v]})
    return pd.DataFrame(rows)


def test_type_one_error_and_coverage_of_the_primary_contrast():
    rng = np.random.default_rng(20261124)
    rejections = covered = 0
    for _ in range(N_TRIALS):
        fit = fit_mmrm(
            null_trial(rng),
            "y ~ arm * visit",
            subject="id",
            visit="visit",
            reference={"arm": "control"},
        )
        cells, matrix = fit.lsmeans_matrix(["arm", "visit"])
        index = {
            (a, v): k for k, (a, v) in enumerate(zip(cells["arm"], cells["visit"], strict=True))
        }
        row = fit.contrast(
            (matrix[index[("massager", "V2")]] - matrix[index[("control", "V2")]])[None, :]
        ).iloc[0]
        rejections += row.p_value < 0.05
        covered += row.ci_lower <= 0.0 <= row.ci_upper
    error = 3 * np.sqrt(0.05 * 0.95 / N_TRIALS)  # three Monte Carlo standard errors
    assert abs(rejections / N_TRIALS - 0.05) <= error
    assert abs(covered / N_TRIALS - 0.95) <= error
