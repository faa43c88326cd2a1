"""Inference for the fixed effects beyond the model-based covariance: the Kenward-Roger
adjustment and degrees of freedom, the empirical (sandwich) covariance and its
jackknife and bias-reduced variants, and between-within degrees of freedom.

Kenward-Roger (Kenward & Roger 1997; SAS PROC MIXED ``DDFM=KR``). With Phi the
model-based covariance of the fixed effects, W the inverse of the observed REML
information of the covariance parameters phi, and, summed over subjects,

    P_k  = X' dSigma^-1/dphi_k X
    Q_kl = X' Sigma^-1 dSigma/dphi_k Sigma^-1 dSigma/dphi_l Sigma^-1 X
    R_kl = X' Sigma^-1 d2Sigma/dphi_k dphi_l Sigma^-1 X,

the adjusted covariance is

    Phi_A = Phi + 2 Phi [sum_kl W_kl (Q_kl - P_k Phi P_l - R_kl / 4)] Phi.

The first-order part does not depend on how Sigma is parameterised; the R term does,
so it is computed in SAS's own parameters of each structure
(:meth:`rlstrial.mmrm.covariance.Structure.sas_matrix`), which is what makes full KR
agree with SAS for AR(1), ARH(1), CSH, ANTE(1) and TOEPH, not only for the
structures that are linear in their parameters (UN, CS, TOEP). ``DDFM=KR(LINEAR)``
drops the R term. The denominator df m and the scale lambda of an F test of L beta
come from A1 = sum W_kl tr(Theta Phi P_k Phi) tr(Theta Phi P_l Phi) and A2 = sum W_kl
tr(Theta Phi P_k Phi Theta Phi P_l Phi), Theta = L'(L Phi L')^-1 L, as in the paper.

The empirical covariance (Liang & Zeger 1986; SAS ``EMPIRICAL``) is
Phi (sum_i X_i' Sigma_i^-1 r_i r_i' Sigma_i^-1 X_i) Phi. In whitened form (x_i and
e_i premultiplied by the inverse Cholesky factor of Sigma_i, H_i = x_i Phi x_i'), the
jackknife variant (CR3) replaces e_i by (I - H_i)^-1 e_i and the bias-reduced one
(Bell & McCaffrey 2002, CR2) by (I - H_i)^-1/2 e_i, as R's mmrm and clubSandwich.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlstrial.mmrm.covariance import LINEAR_IN_SAS_PARAMETERS
from rlstrial.mmrm.design import Design
from rlstrial.mmrm.likelihood import Likelihood
from rlstrial.mmrm.options import DF_METHODS, VCOV_METHODS, check_methods

__all__ = ["DF_METHODS", "VCOV_METHODS", "check_methods"]


@dataclass
class KenwardRoger:
    """The pieces of the Kenward-Roger adjustment of one fit."""

    adjusted: np.ndarray  # Phi_A
    p: np.ndarray  # (k, p, p)
    w: np.ndarray  # (k, k)

    def df(self, phi: np.ndarray, matrix: np.ndarray) -> tuple[float, float]:
        """Denominator df m and scale lambda of the F test of ``matrix`` @ beta (rows of
        full row rank over the kept coefficients)."""
        matrix = np.atleast_2d(matrix)
        rank = len(matrix)
        theta = matrix.T @ np.linalg.solve(matrix @ phi @ matrix.T, matrix)
        m = (theta @ phi) @ self.p @ phi  # Theta Phi P_k Phi, for every k
        traces = np.einsum("kaa->k", m)
        a1 = float(traces @ self.w @ traces)
        # sum_kl W_kl tr(M_k M_l) = sum_kl W_kl <M_k, M_l'> (elementwise)
        flat = m.reshape(len(m), -1)
        flat_t = m.transpose(0, 2, 1).reshape(len(m), -1)
        a2 = float(np.sum(self.w * (flat @ flat_t.T)))
        if a2 <= 1e-14 * max(1.0, abs(a1)):
            return np.inf, 1.0
        b = (a1 + 6 * a2) / (2 * rank)
        g = ((rank + 1) * a1 - (rank + 4) * a2) / ((rank + 2) * a2)
        denominator = 3 * rank + 2 * (1 - g)
        c1, c2, c3 = g / denominator, (rank - g) / denominator, (rank + 2 - g) / denominator
        e_star = 1 / (1 - a2 / rank)
        v_star = 2 / rank * (1 + c1 * b) / ((1 - c2 * b) ** 2 * (1 - c3 * b))
        rho = v_star / (2 * e_star**2)
        m_df = 4 + (rank + 2) / (rank * rho - 1)
        return float(m_df), float(m_df / (e_star * (m_df - 2)))


def kenward_roger(
    likelihood: Likelihood,
    theta: np.ndarray,
    phi: np.ndarray,
    theta_covariance: np.ndarray,
    linear: bool,
    information: str = "observed",
) -> KenwardRoger:
    """The Kenward-Roger adjustment at ``theta`` (``phi``: the model-based covariance
    of the kept coefficients; ``theta_covariance``: the inverse observed information
    of theta), in SAS's parameterisation of the structure.

    W is the inverse of the observed REML information (``information="observed"``,
    as SAS and R's mmrm) or of the expected one (``"expected"``, as Kenward & Roger
    1997 and R's pbkrtest): 1/2 tr(P dSigma_k P dSigma_l), P = V^-1 - V^-1 X Phi X' V^-1.
    """
    if information not in ("observed", "expected"):
        raise ValueError(f"information must be 'observed' or 'expected', not {information!r}")
    structure = likelihood.structure
    n_per = structure.n_params
    n = likelihood.n_theta
    p = likelihood.p
    inverse, _ = likelihood._inverses(theta)
    jacobian = np.zeros((n, n))
    first = []  # per group: dSigma/dphi_k, (k, 1, T, T) or per pattern (k, P_m, T, T)
    p_k = np.zeros((n, p, p))
    correction = np.zeros((p, p))  # sum over same-group pairs of W_kl (Q_kl - R_kl / 4)
    second_needed = not linear and structure.name not in LINEAR_IN_SAS_PARAMETERS
    blocks = []
    for group, part in enumerate(likelihood.split(theta)):
        span = slice(group * n_per, (group + 1) * n_per)
        jacobian[span, span] = structure.sas_jacobian(part)
        points = likelihood._points(likelihood.patterns.group == group)
        d1, d2 = structure.sas_derivatives(structure.sas_parameters(part), points)
        first.append(d1 if structure.by_subject else d1[:, None])
        blocks.append((span, d2))
    if information == "observed":
        w = jacobian @ theta_covariance @ jacobian.T
    else:
        w = np.linalg.inv(_expected_information(likelihood, inverse, first, phi))
    for group, (span, d2) in enumerate(blocks):
        members = likelihood.patterns.group == group
        inv = inverse[members]
        left = inv[None] @ first[group]  # Sigma^-1 dSigma_k
        # P_k = -X' Sigma^-1 dSigma_k Sigma^-1 X
        p_k[span] = -likelihood.patterns.xtax(left @ inv, members)
        w_block = w[span, span]
        # sum_kl W_kl Sigma^-1 dSigma_k Sigma^-1 dSigma_l Sigma^-1 (- W_kl Sigma^-1
        # d2Sigma_kl Sigma^-1 / 4), per pattern, then one contraction with X'.X
        inner = np.zeros_like(inv)
        for k in range(n_per):
            weighted = np.einsum("l,lpac->pac", w_block[k], left)
            inner += left[k] @ weighted
        inner = inner @ inv
        if second_needed:
            d2_weighted = np.einsum("kl,kl...->...", w_block, d2)  # (T, T) or (P_m, T, T)
            inner -= inv @ d2_weighted @ inv / 4
        correction += likelihood.patterns.xtax((inner + inner.transpose(0, 2, 1)) / 2, members)
    # sum_kl W_kl P_k Phi P_l
    weighted_p = np.einsum("kl,lcd->kcd", w, p_k)
    cross = np.einsum("kab,kbd->ad", p_k @ phi, weighted_p)
    middle = correction - cross
    adjusted = phi + 2 * phi @ middle @ phi
    return KenwardRoger(adjusted=(adjusted + adjusted.T) / 2, p=p_k, w=w)


def _expected_information(likelihood, inverse, first, phi) -> np.ndarray:
    """The expected REML information of the parameters whose dSigma are ``first``."""
    n_per = likelihood.structure.n_params
    n = likelihood.n_theta
    p = likelihood.p
    information = np.zeros((n, n))
    p_k = np.zeros((n, p, p))
    for group in range(likelihood.n_groups):
        span = slice(group * n_per, (group + 1) * n_per)
        members = likelihood.patterns.group == group
        inv = inverse[members]
        counts = likelihood.patterns.n[members]
        x_phi = likelihood.patterns.xmx(phi)[members].reshape(-1)  # sum X Phi X' per pattern
        left = inv[None] @ first[group]  # Sigma^-1 dSigma_k
        p_k[span] = -likelihood.patterns.xtax(left @ inv, members)
        for k in range(n_per):
            for m in range(k, n_per):
                product = left[k] @ left[m]
                trace = float(counts @ np.einsum("paa->p", product))
                q_trace = float((product @ inv).reshape(-1) @ x_phi)
                value = trace - 2 * q_trace
                information[span.start + k, span.start + m] = value
                information[span.start + m, span.start + k] = value
    # tr(Phi P_k Phi P_l)
    left_product = (phi @ p_k).reshape(n, -1)
    right_product = (phi @ p_k).transpose(0, 2, 1).reshape(n, -1)
    information += left_product @ right_product.T
    return information / 2


def _whitened(design: Design, sigmas: np.ndarray, beta: np.ndarray):
    """Per subject, padded to all visits: whitened design (S, T, p) and residuals
    (S, T) (zeros at visits not seen). ``sigmas``: each subject's covariance matrix
    over all T visits (S, T, T), before its weights."""
    subjects = design.subject_index
    s, t, p = subjects.max() + 1, len(design.visits), design.x.shape[1]
    x = np.zeros((s, t, p))
    r = np.zeros((s, t))
    w = np.ones((s, t))
    seen = np.zeros((s, t), dtype=bool)
    x[subjects, design.visit_index] = design.x
    r[subjects, design.visit_index] = design.y - design.x @ beta
    w[subjects, design.visit_index] = design.weights
    seen[subjects, design.visit_index] = True
    sigma = sigmas / np.sqrt(w[:, :, None] * w[:, None, :])
    pair = seen[:, :, None] & seen[:, None, :]
    lower = np.linalg.cholesky(np.where(pair, sigma, np.eye(t)))
    x_white = np.linalg.solve(lower, x)
    r_white = np.linalg.solve(lower, r[:, :, None])[:, :, 0]
    return x_white, r_white


def empirical_covariance(
    design: Design, sigmas: np.ndarray, beta: np.ndarray, phi: np.ndarray, kind: str
) -> np.ndarray:
    """The empirical covariance of the kept coefficients: ``kind`` is ``empirical``,
    ``empirical-jackknife`` or ``empirical-bias-reduced``."""
    x, r = _whitened(design, sigmas, beta)
    if kind != "empirical":
        hat = np.eye(r.shape[1]) - x @ phi @ x.transpose(0, 2, 1)  # I - H_i
        if kind == "empirical-jackknife":
            r = np.linalg.solve(hat, r[:, :, None])[:, :, 0]
        else:
            values, vectors = np.linalg.eigh(hat)
            scaled = vectors / np.sqrt(np.clip(values, 1e-12, None))[:, None, :]
            root = scaled @ vectors.transpose(0, 2, 1)  # (I - H_i)^-1/2, symmetric
            r = (root @ r[:, :, None])[:, :, 0]
    scores = np.einsum("sta,st->sa", x, r)
    meat = scores.T @ scores
    covariance = phi @ meat @ phi
    return (covariance + covariance.T) / 2


def between_within_df(design: Design) -> np.ndarray:
    """Between-within df of each kept coefficient (SAS ``DDFM=BW``): a column constant
    within every subject (the intercept included) gets the between-subject df, the
    number of subjects with data minus the rank of those columns; the others get the
    within-subject df, observations minus subjects minus the rank the remaining
    columns add."""
    x = design.x
    subjects = design.subject_index
    n_subjects = len(np.unique(subjects))
    order = np.argsort(subjects, kind="stable")
    boundaries = np.flatnonzero(np.diff(subjects[order])) + 1
    between = np.ones(x.shape[1], dtype=bool)
    for rows in np.split(order, boundaries):
        between &= np.ptp(x[rows], axis=0) <= 1e-12 * (1 + np.abs(x[rows]).max(axis=0))
    rank_between = np.linalg.matrix_rank(x[:, between]) if between.any() else 0
    rank_all = np.linalg.matrix_rank(x)
    between_df = n_subjects - rank_between
    within_df = len(design.y) - n_subjects - (rank_all - rank_between)
    return np.where(between, between_df, within_df).astype(float)
