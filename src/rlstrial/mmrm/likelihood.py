"""The REML and ML objective (-2 log-likelihood) of an MMRM, with its gradient.

For subject i with outcome y_i, design X_i and covariance Sigma_i,

    -2 l_ML   = sum_i [log|Sigma_i| + r_i' Sigma_i^-1 r_i] + N log(2 pi)
    -2 l_REML = -2 l_ML (at the GLS beta) + log|sum_i X_i' Sigma_i^-1 X_i| - p log(2 pi)

with r_i = y_i - X_i beta and beta the generalised least-squares estimate. The
gradient with respect to a covariance parameter theta_k is

    sum_i tr[(Sigma_i^-1 - Sigma_i^-1 r_i r_i' Sigma_i^-1 - [REML] Sigma_i^-1 X_i C X_i'
    Sigma_i^-1) dSigma_i/dtheta_k],   C = (sum_i X_i' Sigma_i^-1 X_i)^-1,

(Jennrich & Schluchter 1986; Wolfinger, Tobias & Sall 1994), computed here per
missingness pattern from the sums in :class:`rlstrial.mmrm.design.Pattern`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlstrial.mmrm.covariance import Structure
from rlstrial.mmrm.design import Pattern

LOG_2PI = np.log(2 * np.pi)


class NotPositiveDefinite(ArithmeticError):
    """A covariance matrix is not positive definite at these parameters."""


@dataclass
class Evaluation:
    value: float
    gradient: np.ndarray
    beta: np.ndarray
    xtvx: np.ndarray  # sum X' Sigma^-1 X
    covariance: np.ndarray  # C, its inverse


class Likelihood:
    """-2 log-likelihood of one model as a function of the covariance parameters."""

    def __init__(
        self, patterns: list[Pattern], structure: Structure, n_groups: int, reml: bool, n_obs: int
    ):
        self.patterns = patterns
        self.structure = structure
        self.n_groups = n_groups
        self.reml = reml
        self.n_obs = n_obs
        self.p = patterns[0].xx.shape[-1]
        self.log_weights = sum(pattern.log_weights for pattern in patterns)

    @property
    def n_theta(self) -> int:
        return self.structure.n_params * self.n_groups

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return np.split(np.asarray(theta, dtype=float), self.n_groups)

    def sigmas(self, theta: np.ndarray) -> list[np.ndarray]:
        return [self.structure.matrix(part) for part in self.split(theta)]

    def _blocks(self, theta):
        """Per pattern: Sigma_p^-1 and log|Sigma_p|."""
        sigmas = self.sigmas(theta)
        blocks = []
        for pattern in self.patterns:
            sub = sigmas[pattern.group][np.ix_(pattern.visits, pattern.visits)]
            try:
                lower = np.linalg.cholesky(sub)
            except np.linalg.LinAlgError:
                raise NotPositiveDefinite from None
            inverse_lower = np.linalg.inv(lower)
            blocks.append((inverse_lower.T @ inverse_lower, 2 * np.log(np.diagonal(lower)).sum()))
        return blocks

    def gls(self, blocks):
        """sum X'S^-1X, sum X'S^-1y, sum y'S^-1y over patterns."""
        xtvx = np.zeros((self.p, self.p))
        xtvy = np.zeros(self.p)
        ytvy = 0.0
        for pattern, (inverse, _) in zip(self.patterns, blocks, strict=True):
            xtvx += np.einsum("jl,jlab->ab", inverse, pattern.xx)
            xtvy += np.einsum("jl,jla->a", inverse, pattern.xy)
            ytvy += float(np.sum(inverse * pattern.yy))
        return xtvx, xtvy, ytvy

    def evaluate(self, theta: np.ndarray, gradient: bool = True) -> Evaluation:
        blocks = self._blocks(theta)
        xtvx, xtvy, ytvy = self.gls(blocks)
        try:
            lower = np.linalg.cholesky(xtvx)
        except np.linalg.LinAlgError:
            raise NotPositiveDefinite from None
        beta = np.linalg.solve(xtvx, xtvy)
        quadratic = ytvy - xtvy @ beta
        logdet = sum(
            pattern.n * logdet for pattern, (_, logdet) in zip(self.patterns, blocks, strict=True)
        )
        value = logdet - self.log_weights + quadratic
        inverse_lower = np.linalg.inv(lower)
        covariance = inverse_lower.T @ inverse_lower
        if self.reml:
            value += 2 * np.log(np.diagonal(lower)).sum() + (self.n_obs - self.p) * LOG_2PI
        else:
            value += self.n_obs * LOG_2PI
        grad = self._gradient(theta, blocks, beta, covariance) if gradient else np.empty(0)
        return Evaluation(float(value), grad, beta, xtvx, covariance)

    def _gradient(self, theta, blocks, beta, covariance):
        t = self.structure.n_visits
        g_full = np.zeros((self.n_groups, t, t))
        for pattern, (inverse, _) in zip(self.patterns, blocks, strict=True):
            fitted = np.einsum("jla,a->jl", pattern.xy, beta)
            residual = (
                pattern.yy - fitted - fitted.T + np.einsum("jlab,a,b->jl", pattern.xx, beta, beta)
            )
            inner = residual
            if self.reml:
                inner = inner + np.einsum("jlab,ab->jl", pattern.xx, covariance)
            g = pattern.n * inverse - inverse @ inner @ inverse
            g_full[pattern.group][np.ix_(pattern.visits, pattern.visits)] += g
        parts = [
            np.einsum("kst,st->k", self.structure.jacobian(part), g_full[group])
            for group, part in enumerate(self.split(theta))
        ]
        return np.concatenate(parts)

    def covariance_jacobian(self, theta: np.ndarray, covariance: np.ndarray) -> np.ndarray:
        """dC/dtheta_k for every k, C = (sum X'Sigma^-1X)^-1: shape (n_theta, p, p)."""
        blocks = self._blocks(theta)
        jacobians = [self.structure.jacobian(part) for part in self.split(theta)]
        n_per = self.structure.n_params
        d_xtvx = np.zeros((self.n_theta, self.p, self.p))
        for pattern, (inverse, _) in zip(self.patterns, blocks, strict=True):
            sub = jacobians[pattern.group][:, pattern.visits][:, :, pattern.visits]
            d_inverse = -np.einsum("jm,kmn,nl->kjl", inverse, sub, inverse)
            start = pattern.group * n_per
            d_xtvx[start : start + n_per] += np.einsum("kjl,jlab->kab", d_inverse, pattern.xx)
        return -np.einsum("ab,kbc,cd->kad", covariance, d_xtvx, covariance)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Hessian of -2 l by central differences of the analytic gradient."""
        theta = np.asarray(theta, dtype=float)
        n = len(theta)
        out = np.empty((n, n))
        for k in range(n):
            step = 1e-4 * max(1.0, abs(theta[k]))
            up, down = theta.copy(), theta.copy()
            up[k] += step
            down[k] -= step
            out[:, k] = (self.evaluate(up).gradient - self.evaluate(down).gradient) / (2 * step)
        return (out + out.T) / 2
