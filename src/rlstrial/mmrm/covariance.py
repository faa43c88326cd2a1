"""Within-subject covariance structures for the MMRM engine.

Each structure maps an unconstrained parameter vector ``theta`` to a T x T
covariance matrix (T = number of visits), and reports its parameters under the
names SAS PROC MIXED prints. :meth:`Structure.sas_parameters` and
:meth:`Structure.sas_matrix` give the same matrix in SAS's own parameters (variances,
covariances and correlations as SAS prints them), in which the Kenward-Roger
adjustment's second derivatives are taken. Correlations are kept in range by smooth maps
(``tanh``, a scaled logistic) and variances by ``exp``, so the optimiser works
without bounds. Every map is complex-analytic, so derivatives with respect to
``theta`` are taken by complex-step differentiation (exact to rounding).

================  =============================  ======================================
name              SAS ``type=``                  Sigma[i, j]
================  =============================  ======================================
``us``            UN                             free (Cholesky L L', log diagonal)
``cs``            CS                             s2 + c on the diagonal, c elsewhere
``csh``           CSH                            sd_i sd_j rho (i != j), var_i diagonal
``ar1``           AR(1)                          s2 rho^|i-j|
``ar1h``          ARH(1)                         sd_i sd_j rho^|i-j|
``toep``          TOEP                           s2 rho_|i-j|
``toeph``         TOEPH                          sd_i sd_j rho_|i-j|
``adh``           ANTE(1)                        sd_i sd_j prod(rho_i..rho_{j-1})
``sp_exp``        SP(EXP)(c-list)                s2 exp(-d_ij / range), d the Euclidean
                                                 distance of the observations' coordinates
================  =============================  ======================================

``rs``            RANDOM int t / TYPE=UN         Z G Z' + s2 I with Z = [1, t_j]: a random
                                                 intercept and slope in t (the marginal
                                                 covariance of the mixed model)

``sp_exp`` and ``rs`` depend on each subject's coordinates (positions, or the times of
its observations), so their methods take ``points`` (..., T, d) and return one matrix
per leading index.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

STRUCTURES = ("us", "cs", "csh", "ar1", "ar1h", "toep", "toeph", "adh", "sp_exp", "rs")
#: structures whose matrix depends on each subject's coordinates (``points``)
BY_SUBJECT = ("sp_exp", "rs")
# structures whose Sigma is linear in SAS's parameters: full and linear KR agree
LINEAR_IN_SAS_PARAMETERS = ("us", "cs", "toep", "rs")


@functools.lru_cache(maxsize=32)
def _tril(t: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.tril_indices(t)``, computed once per size (read-only arrays)."""
    rows, cols = np.tril_indices(t)
    rows.flags.writeable = False
    cols.flags.writeable = False
    return rows, cols


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _cs_rho(z, t):
    """Map z to the compound-symmetry correlation range (-1/(T-1), 1)."""
    low = -1 / (t - 1) if t > 1 else -1.0
    return low + (1 - low) * _logistic(z)


def _cs_rho_inverse(rho, t):
    low = -1 / (t - 1) if t > 1 else -1.0
    p = np.clip((rho - low) / (1 - low), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Structure:
    """A covariance structure for T visits."""

    name: str
    n_visits: int

    def __post_init__(self):
        if self.name not in STRUCTURES:
            raise ValueError(
                f"unknown covariance structure {self.name!r}; choose one of {', '.join(STRUCTURES)}"
            )

    @property
    def n_params(self) -> int:
        t = self.n_visits
        return {
            "us": t * (t + 1) // 2,
            "cs": 2,
            "csh": t + 1,
            "ar1": 2,
            "ar1h": t + 1,
            "toep": t,
            "toeph": 2 * t - 1,
            "adh": 2 * t - 1,
            "sp_exp": 2,
            "rs": 4,
        }[self.name]

    @property
    def by_subject(self) -> bool:
        return self.name in BY_SUBJECT

    def matrix(self, theta: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
        """Sigma(theta), T x T (works for complex theta, for complex-step derivatives);
        for a spatial structure one per leading index of ``points``."""
        t = self.n_visits
        theta = np.asarray(theta)
        dtype = theta.dtype
        if self.by_subject:
            return self._by_subject_matrix(theta, points)
        if self.name == "us":
            lower = np.zeros((t, t), dtype=dtype)
            rows, cols = _tril(t)
            lower[rows, cols] = theta
            lower[np.arange(t), np.arange(t)] = np.exp(np.diagonal(lower))
            return lower @ lower.T
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        if self.name == "cs":
            variance, rho = np.exp(theta[0]), _cs_rho(theta[1], t)
            return variance * ((1 - rho) * np.eye(t) + rho * np.ones((t, t)))
        if self.name == "ar1":
            variance, rho = np.exp(theta[0]), np.tanh(theta[1])
            return variance * rho**lag
        if self.name == "toep":
            rho = np.concatenate([np.ones(1, dtype=dtype), np.tanh(theta[1:])])
            return np.exp(theta[0]) * rho[lag]
        sd = np.exp(theta[:t] / 2)
        scale = np.outer(sd, sd)
        if self.name == "csh":
            rho = _cs_rho(theta[t], t)
            return scale * np.where(lag == 0, 1.0, rho)
        if self.name == "ar1h":
            return scale * np.tanh(theta[t]) ** lag
        if self.name == "toeph":
            rho = np.concatenate([np.ones(1, dtype=dtype), np.tanh(theta[t:])])
            return scale * rho[lag]
        # adh: correlation between visits i < j is the product of rho_i .. rho_{j-1}
        rho = np.tanh(theta[t:])
        corr = np.ones((t, t), dtype=dtype)
        for i in range(t):
            for j in range(i + 1, t):
                corr[i, j] = corr[j, i] = np.prod(rho[i:j])
        return scale * corr

    def _by_subject_matrix(self, theta: np.ndarray, points: np.ndarray | None) -> np.ndarray:
        if points is None:
            raise ValueError(f"{self.name} needs the coordinates of the observations")
        if self.name == "rs":
            return _random_slope(_g_matrix(theta[:3]), np.exp(theta[3]), points)
        return np.exp(theta[0]) * np.exp(-_distances(points) / np.exp(theta[1]))

    def jacobian(self, theta: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
        """d Sigma / d theta_k for every k: array of shape (n_params, T, T), or
        (n_params, ..., T, T) for a spatial structure."""
        if self.name == "us":  # Sigma = L L': dSigma = dL L' + L dL'
            t = self.n_visits
            theta = np.asarray(theta, dtype=float)
            rows, cols = _tril(t)
            lower = np.zeros((t, t))
            lower[rows, cols] = theta
            diagonal = rows == cols
            lower[np.arange(t), np.arange(t)] = np.exp(np.diagonal(lower))
            d_lower = np.zeros((len(theta), t, t))
            d_lower[np.arange(len(theta)), rows, cols] = np.where(diagonal, lower[rows, cols], 1.0)
            half = d_lower @ lower.T
            return half + half.transpose(0, 2, 1)
        step = 1e-30
        shape = self.matrix(np.asarray(theta, dtype=float), points).shape
        out = np.empty((self.n_params, *shape))
        for k in range(self.n_params):
            shifted = np.asarray(theta, dtype=complex)
            shifted[k] += 1j * step
            out[k] = self.matrix(shifted, points).imag / step
        return out

    def second_derivatives(self, theta: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
        """d2 Sigma / d theta_k d theta_l: shape (n_params, n_params, T, T). Analytic for
        ``us``; otherwise central differences of the complex-step first derivatives
        (relative error about 1e-10)."""
        theta = np.asarray(theta, dtype=float)
        k, t = self.n_params, self.n_visits
        if self.name == "us":  # Sigma = L L': d2Sigma = dL_k dL_l' + dL_l dL_k' + d2L L' + L d2L'
            rows, cols = _tril(t)
            lower = np.zeros((t, t))
            lower[rows, cols] = theta
            diagonal = rows == cols
            lower[np.arange(t), np.arange(t)] = np.exp(np.diagonal(lower))
            d_lower = np.zeros((k, t, t))
            d_lower[np.arange(k), rows, cols] = np.where(diagonal, lower[rows, cols], 1.0)
            cross = np.einsum("kab,lcb->klac", d_lower, d_lower)
            out = cross + cross.transpose(0, 1, 3, 2)
            for index in np.flatnonzero(diagonal):  # d2 exp(theta) = exp(theta), on its own
                half = d_lower[index] @ lower.T
                out[index, index] += half + half.T
            return out
        shape = self.matrix(theta, points).shape
        out = np.empty((k, k, *shape))
        for j in range(k):
            h = 1e-5 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            out[:, j] = (self.jacobian(up, points) - self.jacobian(down, points)) / (2 * h)
        return (out + np.swapaxes(out, 0, 1)) / 2

    def start(self, empirical: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
        """Starting theta from an empirical covariance matrix (e.g. of OLS residuals);
        a spatial structure starts with its range at the median distance."""
        t = self.n_visits
        variances = np.clip(np.diag(empirical), 1e-8, None)
        if self.name == "rs":  # half the variance to the intercept, a little to the slope
            half = 0.5 * variances.mean()
            spread = float(np.var(np.asarray(points)[..., 0])) or 1.0
            return np.array([np.log(half) / 2, 0.0, np.log(0.1 * half / spread) / 2, np.log(half)])
        if self.by_subject:
            distances = _distances(points)
            positive = distances[distances > 0]
            scale = float(np.median(positive)) if positive.size else 1.0
            return np.array([np.log(variances.mean()), np.log(scale)])
        sd = np.sqrt(variances)
        corr = empirical / np.outer(sd, sd)
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        mean_corr = {k: float(np.mean(corr[lag == k])) for k in range(1, t)}
        off = float(np.mean(corr[lag > 0])) if t > 1 else 0.0
        clip = lambda r: float(np.clip(r, -0.9, 0.9))  # noqa: E731
        if self.name == "us":
            values, vectors = np.linalg.eigh(empirical)
            fixed = (vectors * np.clip(values, 1e-3 * values.max(), None)) @ vectors.T
            lower = np.linalg.cholesky(fixed)
            lower[np.arange(t), np.arange(t)] = np.log(np.diagonal(lower))
            return lower[_tril(t)]
        if self.name == "cs":
            return np.array([np.log(variances.mean()), _cs_rho_inverse(clip(off), t)])
        if self.name == "ar1":
            return np.array([np.log(variances.mean()), np.arctanh(clip(mean_corr.get(1, 0.0)))])
        if self.name == "toep":
            lags = [np.arctanh(clip(mean_corr[k])) for k in range(1, t)]
            return np.array([np.log(variances.mean()), *lags])
        logvar = np.log(variances)
        if self.name == "csh":
            return np.concatenate([logvar, [_cs_rho_inverse(clip(off), t)]])
        if self.name == "ar1h":
            return np.concatenate([logvar, [np.arctanh(clip(mean_corr.get(1, 0.0)))]])
        if self.name == "toeph":
            return np.concatenate([logvar, [np.arctanh(clip(mean_corr[k])) for k in range(1, t)]])
        adjacent = [clip(corr[k, k + 1]) for k in range(t - 1)]
        adjacent = [r if abs(r) > 0.05 else 0.05 for r in adjacent]
        return np.concatenate([logvar, np.arctanh(adjacent)])

    def theta_from_parameters(self, values: dict[str, float]) -> np.ndarray:
        """The theta whose :meth:`report` gives ``values`` (SAS names, as SAS prints)."""
        t = self.n_visits
        expected = [name for name, _ in self.report(np.zeros(self.n_params), [])]
        missing = [name for name in expected if name not in values]
        if missing:
            raise ValueError(f"covariance parameters {missing} are missing for {self.name}")
        if self.name == "us":
            sigma = np.zeros((t, t))
            for i in range(t):
                for j in range(i + 1):
                    sigma[i, j] = sigma[j, i] = values[f"UN({i + 1},{j + 1})"]
            lower = np.linalg.cholesky(sigma)
            lower[np.arange(t), np.arange(t)] = np.log(np.diagonal(lower))
            return lower[_tril(t)]
        if self.name == "rs":
            g = np.array(
                [[values["UN(1,1)"], values["UN(2,1)"]], [values["UN(2,1)"], values["UN(2,2)"]]]
            )
            lower = np.linalg.cholesky(g)
            return np.array(
                [np.log(lower[0, 0]), lower[1, 0], np.log(lower[1, 1]), np.log(values["Residual"])]
            )
        if self.by_subject:
            return np.array([np.log(values["Residual"]), np.log(values["SP(EXP)"])])
        if self.name == "cs":
            variance = values["CS"] + values["Residual"]
            return np.array([np.log(variance), _cs_rho_inverse(values["CS"] / variance, t)])
        if self.name == "ar1":
            return np.array([np.log(values["Residual"]), np.arctanh(values["AR(1)"])])
        if self.name == "toep":
            variance = values["Residual"]
            lags = [np.arctanh(values[f"TOEP({k + 1})"] / variance) for k in range(1, t)]
            return np.array([np.log(variance), *lags])
        logvar = [np.log(values[f"Var({i + 1})"]) for i in range(t)]
        if self.name == "csh":
            return np.array([*logvar, _cs_rho_inverse(values["CSH"], t)])
        if self.name == "ar1h":
            return np.array([*logvar, np.arctanh(values["ARH(1)"])])
        prefix = "TOEPH" if self.name == "toeph" else "Rho"
        return np.array([*logvar, *(np.arctanh(values[f"{prefix}({k})"]) for k in range(1, t))])

    def report(self, theta: np.ndarray, visits: list[str]) -> list[tuple[str, float]]:
        """The parameters as SAS names them, with their values."""
        t = self.n_visits
        if self.name == "rs":
            names = ("UN(1,1)", "UN(2,1)", "UN(2,2)", "Residual")
            return list(zip(names, map(float, self.sas_parameters(theta)), strict=True))
        if self.by_subject:
            return [("SP(EXP)", float(np.exp(theta[1]))), ("Residual", float(np.exp(theta[0])))]
        sigma = self.matrix(np.asarray(theta, dtype=float))
        if self.name == "us":
            return [
                (f"UN({i + 1},{j + 1})", float(sigma[i, j])) for i in range(t) for j in range(i + 1)
            ]
        if self.name == "cs":
            covariance = float(sigma[0, 1]) if t > 1 else 0.0
            return [("CS", covariance), ("Residual", float(sigma[0, 0]) - covariance)]
        if self.name == "ar1":
            return [("AR(1)", float(np.tanh(theta[1]))), ("Residual", float(sigma[0, 0]))]
        if self.name == "toep":
            lags = [(f"TOEP({k + 1})", float(sigma[0, k])) for k in range(1, t)]
            return [*lags, ("Residual", float(sigma[0, 0]))]
        variances = [(f"Var({i + 1})", float(sigma[i, i])) for i in range(t)]
        if self.name == "csh":
            return variances + [("CSH", float(_cs_rho(theta[t], t)))]
        if self.name == "ar1h":
            return variances + [("ARH(1)", float(np.tanh(theta[t])))]
        if self.name == "toeph":
            return variances + [
                (f"TOEPH({k})", float(np.tanh(theta[t + k - 1]))) for k in range(1, t)
            ]
        return variances + [(f"Rho({k})", float(np.tanh(theta[t + k - 1]))) for k in range(1, t)]

    # --- SAS's parameterisation --------------------------------------------------

    def sas_parameters(self, theta: np.ndarray) -> np.ndarray:
        """The parameters SAS estimates, in :meth:`report`'s order, as a function of
        theta (works for complex theta, for complex-step derivatives)."""
        t = self.n_visits
        theta = np.asarray(theta)
        if self.name == "rs":  # G's UN(1,1), UN(2,1), UN(2,2), and the residual variance
            g = _g_matrix(theta[:3])
            return np.array([g[0, 0], g[1, 0], g[1, 1], np.exp(theta[3])])
        if self.by_subject:
            return np.array([np.exp(theta[1]), np.exp(theta[0])])  # SP(EXP) (range), Residual
        sigma = self.matrix(theta)
        if self.name == "us":
            rows, cols = _tril(t)
            return sigma[rows, cols]
        if self.name == "cs":
            covariance = sigma[0, 1] if t > 1 else 0.0 * sigma[0, 0]
            return np.array([covariance, sigma[0, 0] - covariance])
        if self.name == "ar1":
            return np.array([np.tanh(theta[1]), sigma[0, 0]])
        if self.name == "toep":
            return np.array([*sigma[0, 1:], sigma[0, 0]])
        variances = np.diagonal(sigma)
        if self.name == "csh":
            return np.array([*variances, _cs_rho(theta[t], t)])
        if self.name == "ar1h":
            return np.array([*variances, np.tanh(theta[t])])
        return np.array([*variances, *np.tanh(theta[t:])])  # toeph, adh

    def sas_matrix(self, phi: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
        """Sigma as a function of SAS's parameters ``phi`` (:meth:`sas_parameters`),
        T x T (or one per leading index of ``points``); works for complex phi."""
        t = self.n_visits
        phi = np.asarray(phi)
        dtype = phi.dtype
        if self.name == "rs":
            g = np.array([[phi[0], phi[1]], [phi[1], phi[2]]])
            return _random_slope(g, phi[3], points)
        if self.by_subject:
            return phi[1] * np.exp(-_distances(points) / phi[0])
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        if self.name == "us":
            sigma = np.zeros((t, t), dtype=dtype)
            rows, cols = _tril(t)
            sigma[rows, cols] = phi
            sigma[cols, rows] = phi
            return sigma
        if self.name == "cs":
            return phi[0] * np.ones((t, t)) + phi[1] * np.eye(t)
        if self.name == "ar1":
            return phi[1] * phi[0] ** lag
        if self.name == "toep":
            band = np.concatenate([phi[-1:], phi[:-1]])
            return band[lag]
        sd = np.sqrt(phi[:t])
        scale = np.outer(sd, sd)
        if self.name == "csh":
            return scale * np.where(lag == 0, 1.0, phi[t])
        if self.name == "ar1h":
            return scale * phi[t] ** lag
        if self.name == "toeph":
            rho = np.concatenate([np.ones(1, dtype=dtype), phi[t:]])
            return scale * rho[lag]
        rho = phi[t:]  # adh
        corr = np.ones((t, t), dtype=dtype)
        for i in range(t):
            for j in range(i + 1, t):
                corr[i, j] = corr[j, i] = np.prod(rho[i:j])
        return scale * corr

    def sas_jacobian(self, theta: np.ndarray) -> np.ndarray:
        """d phi / d theta (SAS parameters by theta), square, by complex step."""
        step = 1e-30
        out = np.empty((self.n_params, self.n_params))
        for k in range(self.n_params):
            shifted = np.asarray(theta, dtype=complex)
            shifted[k] += 1j * step
            out[:, k] = self.sas_parameters(shifted).imag / step
        return out

    def sas_derivatives(
        self, phi: np.ndarray, points: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """First and second derivatives of Sigma in SAS's parameters: arrays of
        shape (k, T, T) and (k, k, T, T) (spatial: (k, ..., T, T) and (k, k, ..., T,
        T)). First derivatives by complex step (exact to rounding); second ones by
        central differences of those (zero where Sigma is linear in phi)."""
        phi = np.asarray(phi, dtype=float)
        k = self.n_params
        shape = self.sas_matrix(phi, points).shape

        def first(point):
            out = np.empty((k, *shape))
            for i in range(k):
                shifted = point.astype(complex)
                shifted[i] += 1e-30j
                out[i] = self.sas_matrix(shifted, points).imag / 1e-30
            return out

        d1 = first(phi)
        d2 = np.zeros((k, k, *shape))
        if self.name not in LINEAR_IN_SAS_PARAMETERS:
            for j in range(k):
                h = 1e-5 * max(1.0, abs(phi[j]))
                up, down = phi.copy(), phi.copy()
                up[j] += h
                down[j] -= h
                d2[:, j] = (first(up) - first(down)) / (2 * h)
            d2 = (d2 + np.swapaxes(d2, 0, 1)) / 2
        return d1, d2


def _distances(points: np.ndarray) -> np.ndarray:
    """Euclidean distances between the observations (..., T, d) -> (..., T, T)."""
    points = np.asarray(points, dtype=float)
    return np.sqrt(((points[..., :, None, :] - points[..., None, :, :]) ** 2).sum(axis=-1))


def _g_matrix(theta: np.ndarray) -> np.ndarray:
    """The random effects' covariance G = L L' from its Cholesky factor (log diagonal)."""
    dtype = np.asarray(theta).dtype
    lower = np.zeros((2, 2), dtype=dtype)
    lower[0, 0], lower[1, 0], lower[1, 1] = np.exp(theta[0]), theta[1], np.exp(theta[2])
    return lower @ lower.T


def _random_slope(g: np.ndarray, residual, points: np.ndarray) -> np.ndarray:
    """Z G Z' + residual I for Z = [1, t] with t the first coordinate (..., T)."""
    t = np.asarray(points, dtype=float)[..., 0]
    z = np.stack([np.ones_like(t), t], axis=-1)  # (..., T, 2)
    return z @ g @ np.swapaxes(z, -1, -2) + residual * np.eye(t.shape[-1])
