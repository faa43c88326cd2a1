"""The REML and ML objective (-2 log-likelihood) of an MMRM, with its gradient.

For subject i with outcome y_i, design X_i and covariance Sigma_i,

    -2 l_ML   = sum_i [log|Sigma_i| + r_i' Sigma_i^-1 r_i] + N log(2 pi)
    -2 l_REML = -2 l_ML (at the GLS beta) + log|sum_i X_i' Sigma_i^-1 X_i| - p log(2 pi)

with r_i = y_i - X_i beta and beta the generalised least-squares estimate. The
gradient with respect to a covariance parameter theta_k is

    sum_i tr[(Sigma_i^-1 - Sigma_i^-1 r_i r_i' Sigma_i^-1 - [REML] Sigma_i^-1 X_i C X_i'
    Sigma_i^-1) dSigma_i/dtheta_k],   C = (sum_i X_i' Sigma_i^-1 X_i)^-1,

(Jennrich & Schluchter 1986; Wolfinger, Tobias & Sall 1994). Subjects enter only
through the cross-products of their missingness pattern
(:class:`rlstrial.mmrm.design.Patterns`), padded to all visits, so that one
evaluation is a few batched matrix products whatever the number of subjects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlstrial.mmrm.covariance import Structure
from rlstrial.mmrm.design import Patterns

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
        self, patterns: Patterns, structure: Structure, n_groups: int, reml: bool, n_obs: int
    ):
        self.patterns = patterns
        self.structure = structure
        self.n_groups = n_groups
        self.reml = reml
        self.n_obs = n_obs
        self.p = patterns.xx.shape[-1]
        t = structure.n_visits
        self.pair = patterns.observed[:, :, None] & patterns.observed[:, None, :]  # (P, T, T)
        self.xx_flat = patterns.xx.reshape(-1, self.p * self.p)  # (P*T*T, p*p)
        self.xy_flat = patterns.xy.reshape(-1, self.p)  # (P*T*T, p)
        self.group_onehot = np.eye(n_groups)[patterns.group]  # (P, groups)
        self.shape = (len(patterns.n), t, t)

    @property
    def n_theta(self) -> int:
        return self.structure.n_params * self.n_groups

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return np.split(np.asarray(theta, dtype=float), self.n_groups)

    def sigmas(self, theta: np.ndarray) -> list[np.ndarray]:
        return [self.structure.matrix(part) for part in self.split(theta)]

    def _inverses(self, theta):
        """Per pattern: Sigma_p^-1 padded with zeros (P, T, T), and log|Sigma_p| (P,)."""
        sigma = np.stack(self.sigmas(theta))[self.patterns.group]
        t = self.shape[1]
        padded = np.where(self.pair, sigma, np.eye(t))
        try:
            lower = np.linalg.cholesky(padded)
        except np.linalg.LinAlgError:
            raise NotPositiveDefinite from None
        inverse_lower = np.linalg.inv(lower)
        inverse = np.where(self.pair, inverse_lower.transpose(0, 2, 1) @ inverse_lower, 0.0)
        logdet = 2 * np.log(np.diagonal(lower, axis1=1, axis2=2)).sum(axis=1)
        return inverse, logdet

    def evaluate(self, theta: np.ndarray, gradient: bool = True) -> Evaluation:
        inverse, logdet = self._inverses(theta)
        flat = inverse.reshape(-1)
        xtvx = (flat @ self.xx_flat).reshape(self.p, self.p)
        xtvy = flat @ self.xy_flat
        ytvy = float(flat @ self.patterns.yy.reshape(-1))
        try:
            lower = np.linalg.cholesky(xtvx)
        except np.linalg.LinAlgError:
            raise NotPositiveDefinite from None
        inverse_lower = np.linalg.inv(lower)
        covariance = inverse_lower.T @ inverse_lower
        beta = covariance @ xtvy
        value = float(self.patterns.n @ logdet) - self.patterns.log_weights + ytvy - xtvy @ beta
        if self.reml:
            value += 2 * np.log(np.diagonal(lower)).sum() + (self.n_obs - self.p) * LOG_2PI
        else:
            value += self.n_obs * LOG_2PI
        grad = self._gradient(theta, inverse, beta, covariance) if gradient else np.empty(0)
        return Evaluation(float(value), grad, beta, xtvx, covariance)

    def _gradient(self, theta, inverse, beta, covariance):
        fitted = (self.xy_flat @ beta).reshape(self.shape)
        inner = (
            self.patterns.yy
            - fitted
            - fitted.transpose(0, 2, 1)
            + (self.xx_flat @ np.outer(beta, beta).ravel()).reshape(self.shape)
        )
        if self.reml:
            inner = inner + (self.xx_flat @ covariance.ravel()).reshape(self.shape)
        g = self.patterns.n[:, None, None] * inverse - inverse @ inner @ inverse
        g_groups = np.einsum("pg,pst->gst", self.group_onehot, g)
        parts = [
            np.einsum("kst,st->k", self.structure.jacobian(part), g_groups[group])
            for group, part in enumerate(self.split(theta))
        ]
        return np.concatenate(parts)

    def covariance_jacobian(self, theta: np.ndarray, covariance: np.ndarray) -> np.ndarray:
        """dC/dtheta_k for every k, C = (sum X'Sigma^-1X)^-1: shape (n_theta, p, p)."""
        inverse, _ = self._inverses(theta)
        n_per = self.structure.n_params
        d_xtvx = np.zeros((self.n_theta, self.p, self.p))
        for group, part in enumerate(self.split(theta)):
            jacobian = self.structure.jacobian(part)  # (k, T, T)
            members = self.patterns.group == group
            inv = inverse[members]
            # d Sigma_p^-1 = -Sigma_p^-1 dSigma Sigma_p^-1 (zero outside the pattern)
            d_inverse = -np.einsum("pjm,kmn,pnl->kpjl", inv, jacobian, inv)
            xx = self.patterns.xx[members].reshape(-1, self.p * self.p)
            block = d_inverse.reshape(n_per, -1) @ xx
            d_xtvx[group * n_per : (group + 1) * n_per] = block.reshape(n_per, self.p, self.p)
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
