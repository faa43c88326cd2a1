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
        self.p = patterns.p
        t = structure.n_visits
        self.pair = patterns.observed[:, :, None] & patterns.observed[:, None, :]  # (P, T, T)
        self.xy_flat = patterns.xy.reshape(-1, self.p)  # (P*T*T, p)
        self.group_onehot = np.eye(n_groups)[patterns.group]  # (P, groups)
        self.shape = (len(patterns.n), t, t)
        # the last point's inverses and evaluation: the optimiser evaluates a point, then
        # asks for the Hessian there, which needs both again
        self._last_inverses: tuple[bytes, tuple[np.ndarray, np.ndarray]] | None = None
        self._last_evaluation: tuple[bytes, Evaluation] | None = None

    @property
    def n_theta(self) -> int:
        return self.structure.n_params * self.n_groups

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return np.split(np.asarray(theta, dtype=float), self.n_groups)

    def sigmas(self, theta: np.ndarray) -> list[np.ndarray]:
        """Each group's T x T covariance matrix (not for a spatial structure, whose
        matrices are per subject: :meth:`pattern_sigmas`)."""
        if self.structure.by_subject:
            raise ValueError(f"{self.structure.name} has one covariance matrix per subject")
        return [self.structure.matrix(part) for part in self.split(theta)]

    def _points(self, members: np.ndarray) -> np.ndarray | None:
        points = self.patterns.points
        return None if points is None else points[members]

    def pattern_sigmas(self, theta: np.ndarray) -> np.ndarray:
        """Each pattern's covariance matrix over all T visits: (P, T, T)."""
        if not self.structure.by_subject:
            return np.stack(self.sigmas(theta))[self.patterns.group]
        out = np.empty(self.shape)
        for group, part in enumerate(self.split(theta)):
            members = self.patterns.group == group
            out[members] = self.structure.matrix(part, self._points(members))
        return out

    def derivatives(self, part: np.ndarray, members: np.ndarray, second: bool = False):
        """d Sigma / d theta_k of one group's parameters ``part`` for the patterns
        ``members``, shaped to broadcast against them: (k, 1, T, T), or (k, P_m, T, T)
        for a spatial structure; with ``second``, also the second derivatives (k, k,
        T, T) or (k, k, P_m, T, T)."""
        points = self._points(members)
        first = self.structure.jacobian(part, points)
        if not self.structure.by_subject:
            first = first[:, None]
        if not second:
            return first
        return first, self.structure.second_derivatives(part, points)

    def _inverses(self, theta):
        """Per pattern: Sigma_p^-1 padded with zeros (P, T, T), and log|Sigma_p| (P,)
        (kept for the last point)."""
        key = np.asarray(theta, dtype=float).tobytes()
        if self._last_inverses is not None and self._last_inverses[0] == key:
            return self._last_inverses[1]
        inverses = self._compute_inverses(theta)
        self._last_inverses = (key, inverses)
        return inverses

    def _compute_inverses(self, theta):
        sigma = self.pattern_sigmas(theta)
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
        """The objective at ``theta``, with its gradient unless ``gradient=False`` (kept
        for the last point: asked again, without or with the gradient it has, it is
        returned as it was computed)."""
        key = np.asarray(theta, dtype=float).tobytes()
        last = self._last_evaluation
        if last is not None and last[0] == key and (len(last[1].gradient) or not gradient):
            return last[1]
        evaluation = self._evaluate(theta, gradient)
        self._last_evaluation = (key, evaluation)
        return evaluation

    def _evaluate(self, theta: np.ndarray, gradient: bool) -> Evaluation:
        inverse, logdet = self._inverses(theta)
        flat = inverse.reshape(-1)
        xtvx = self.patterns.xtax(inverse)
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
        # sum of r r' (+ X C X' for REML) per pattern, in one pass over xx
        quadratic = np.outer(beta, beta) + (covariance if self.reml else 0.0)
        inner = self.patterns.yy - fitted - fitted.transpose(0, 2, 1) + self.patterns.xmx(quadratic)
        g = self.patterns.n[:, None, None] * inverse - inverse @ inner @ inverse
        if self.structure.by_subject:
            parts = []
            for group, part in enumerate(self.split(theta)):
                members = self.patterns.group == group
                first = self.derivatives(part, members)
                parts.append(np.einsum("kpst,pst->k", first, g[members]))
            return np.concatenate(parts)
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
            members = self.patterns.group == group
            first = self.derivatives(part, members)
            inv = inverse[members]
            # d Sigma_p^-1 = -Sigma_p^-1 dSigma Sigma_p^-1 (zero outside the pattern)
            d_inverse = -(inv[None] @ first @ inv)
            block = self.patterns.xtax(d_inverse, members)
            d_xtvx[group * n_per : (group + 1) * n_per] = block
        return -(covariance @ d_xtvx @ covariance)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Hessian of -2 l, analytic (the observed information, times 2).

        With P = V^-1 - V^-1 X C X' V^-1 (REML; V^-1 for ML in the first trace) and
        V_k, V_kl the first and second derivatives of the covariance,

            d2(-2 l)/dtheta_k dtheta_l = -tr(P V_k P V_l) + tr(P V_kl)
                                         + 2 y'P V_k P V_l P y - y'P V_kl P y

        (Harville 1977; Lindstrom & Bates 1988), each term summed over the
        missingness patterns' cross-products like the gradient.
        """
        theta = np.asarray(theta, dtype=float)
        inverse, _ = self._inverses(theta)
        evaluation = self.evaluate(theta, gradient=False)
        beta, covariance = evaluation.beta, evaluation.covariance
        p, n_per = self.p, self.structure.n_params
        fitted = (self.xy_flat @ beta).reshape(self.shape)
        residual = (
            self.patterns.yy
            - fitted
            - fitted.transpose(0, 2, 1)
            + self.patterns.xmx(np.outer(beta, beta))
        )  # S_p: sum of r r' per pattern
        spread = self.patterns.xmx(covariance)  # sum X C X'
        x_residual = self.patterns.xr(beta)  # sum x r'
        hessian = np.zeros((self.n_theta, self.n_theta))
        p_k = np.zeros((self.n_theta, p, p))  # X' dV^-1/dtheta_k X
        u_k = np.zeros((self.n_theta, p))  # X' V^-1 V_k V^-1 r
        inner = residual + spread if self.reml else residual
        for group, part in enumerate(self.split(theta)):
            span = slice(group * n_per, (group + 1) * n_per)
            members = self.patterns.group == group
            inv, n = inverse[members], self.patterns.n[members]
            d1, d2 = self.derivatives(part, members, second=True)
            a = inv[None] @ d1  # V^-1 V_k
            a_t = a.transpose(0, 1, 3, 2).reshape(n_per, -1)
            a_inv = a @ inv  # V^-1 V_k V^-1
            # tr(V^-1 V_k V^-1 V_l), with the pattern counts
            first = (a * n[None, :, None, None]).reshape(n_per, -1) @ a_t.T
            # 2 y'P V_k P V_l P y, its subject-wise part: tr(V^-1 S V^-1 V_k V^-1 V_l)
            c = inv @ residual[members] @ inv
            e = (c[None] @ d1).reshape(n_per, -1)
            quadratic = e @ a_t.T
            block = -first + 2 * (quadratic + quadratic.T) / 2
            if self.reml:
                # + 2 tr(V^-1 V_k V^-1 V_l V^-1 X C X')
                b = (a @ (inv @ spread[members])[None]).transpose(0, 1, 3, 2).reshape(n_per, -1)
                cross = a.reshape(n_per, -1) @ b.T
                block += cross + cross.T
            # tr(P V_kl) - y'P V_kl P y: the gradient's matrix against V_kl
            g = n[:, None, None] * inv - inv @ inner[members] @ inv
            if self.structure.by_subject:
                block += np.einsum("klpab,pab->kl", d2, g)
            else:
                block += np.einsum("klab,ab->kl", d2, g.sum(axis=0))
            hessian[span, span] = block
            p_k[span] = -self.patterns.xtax(a_inv, members)
            u_k[span] = a_inv.reshape(n_per, -1) @ x_residual[members].reshape(-1, p)
        # terms through the fixed effects couple the groups
        hessian -= 2 * u_k @ covariance @ u_k.T
        if self.reml:
            product = covariance @ p_k
            hessian -= (
                product.reshape(self.n_theta, -1)
                @ product.transpose(0, 2, 1).reshape(self.n_theta, -1).T
            )
        return (hessian + hessian.T) / 2

    def numerical_hessian(self, theta: np.ndarray) -> np.ndarray:
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
