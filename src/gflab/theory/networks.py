"""Two-layer networks f(x) = s sum_j a_j sigma(w_j . x): scalings, kernels at initialisation, rates.

E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning" (the kernel and
mean-field regimes, random features, the hardness lemma); Jacot, Gabriel & Hongler 2018 (the
neural tangent kernel); Du, Zhai, Poczos & Singh 2018 (exponential convergence at large width).

The prefactor s = 1 / N(m) of the m hidden units (:func:`width_normalisation` N):
``conventional`` and ``random-features`` s = 1 (a(0) = 0), ``ntk`` s = 1/sqrt(m), ``mean-field``
s = 1/m.

For w ~ N(0, I/d) and features sigma(w . x) the two kernels

    k0(x, x') = E_w[sigma(w . x) sigma(w . x')],    k1(x, x') = E_w[sigma'(w . x) sigma'(w . x')]

are closed forms for ReLU (arc-cosine kernels, Cho and Saul 2009) and erf (arcsine kernel,
Williams 1997). With u = w . x, v = w . x' jointly Gaussian, covariance C = [[p, q], [q, r]],
p = |x|^2 / d, r = |x'|^2 / d, q = x . x' / d, and cos(theta) = q / sqrt(p r):

- relu: k0 = sqrt(p r) (sin theta + (pi - theta) cos theta) / (2 pi),  k1 = (pi - theta) / (2 pi);
- erf:  k0 = (2/pi) arcsin(2q / sqrt((1 + 2p)(1 + 2r))),  k1 = (4/pi) / sqrt((1 + 2p)(1 + 2r) - 4 q^2).

The talk's Gram matrix is K = k0 / n on the sample (its lambda_n = lambda_min(K)); with the
loss L = 1/(2n) sum (f(x_i) - y_i)^2 and residual r = f - y, linearised training is
dr/dt = -(1/n) J J^T r, so L decays at the rate 2 lambda_min((1/n) J J^T):

- conventional scaling (a(0) = 0): J J^T = Phi Phi^T -> m n K: rate 2 m lambda_n;
- NTK scaling (1/sqrt(m), a ~ N(0, 1)): J J^T -> k0 + (x . x') k1 =: n Theta: rate 2 lambda_min(Theta).
"""

from __future__ import annotations

import itertools
from typing import Literal, get_args

import numpy as np

from gflab.errors import BadInput

PAPER = "E, Ma, Wojtowytsch & Wu, Towards a mathematical theory of machine learning (talk)"

KernelActivation = Literal["relu", "erf"]
"""Activations whose feature kernels are closed forms here."""
KERNEL_ACTIVATIONS: tuple[str, ...] = get_args(KernelActivation)

Scaling = Literal["conventional", "ntk", "mean-field", "random-features"]
"""How a two-layer network's output is normalised in its width m (and which layers train)."""

DataSet = Literal["digits", "teacher", "barron", "cosine"]
"""The data sets of :func:`gflab.problems.networks.dataset` (named here, JAX-free, for the specs)."""


def width_normalisation(scaling: str, width: int) -> float:
    """N(m): the output sum_j a_j sigma(w_j . x) of ``width`` = m hidden units is divided by
    1 (conventional, random features), sqrt(m) (NTK) or m (mean-field)."""
    return {"ntk": float(np.sqrt(width)), "mean-field": float(width)}.get(scaling, 1.0)


def cosine_frequencies(d: int, count: int) -> np.ndarray:
    """The first ``count`` frequencies b in N_+^d of the orthonormal family
    f_b(x) = sqrt(2) cos(2 pi b . x) on [0, 1]^d, ordered by |b|_1, then lexicographically."""
    out: list[tuple[int, ...]] = []
    total = d
    while len(out) < count:
        out += sorted(b for b in itertools.product(range(1, total - d + 2), repeat=d) if sum(b) == total)
        total += 1
    return np.asarray(out[:count])


def feature_kernels(x: np.ndarray, z: np.ndarray, sigma: str) -> tuple[np.ndarray, np.ndarray]:
    """(k0, k1) between the rows of x (n, d) and z (m, d), w ~ N(0, I/d)."""
    d = x.shape[1]
    p = np.sum(x**2, axis=1)[:, None] / d
    r = np.sum(z**2, axis=1)[None, :] / d
    q = x @ z.T / d
    if sigma == "relu":
        scale = np.sqrt(p * r)
        theta = np.arccos(np.clip(q / scale, -1.0, 1.0))
        return scale * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi), (np.pi - theta) / (2 * np.pi)
    if sigma == "erf":
        norm = (1 + 2 * p) * (1 + 2 * r)
        return 2 / np.pi * np.arcsin(2 * q / np.sqrt(norm)), 4 / np.pi / np.sqrt(norm - 4 * q**2)
    raise BadInput("sigma", f"no closed-form kernel for {sigma!r}; accepted: {', '.join(KERNEL_ACTIVATIONS)}")


def gram(x: np.ndarray, sigma: str) -> np.ndarray:
    """The talk's Gram matrix K_ij = E_w[sigma(w . x_i) sigma(w . x_j)] / n."""
    return feature_kernels(x, x, sigma)[0] / x.shape[0]


def ntk_gram(x: np.ndarray, sigma: str) -> np.ndarray:
    """Theta_ij = (k0 + (x_i . x_j) k1) / n: the infinite-width NTK on the sample, over n."""
    k0, k1 = feature_kernels(x, x, sigma)
    return (k0 + (x @ x.T) * k1) / x.shape[0]


def loss_decay_rate(x: np.ndarray, sigma: str, scaling: str, width: int) -> float:
    """The linearised (kernel-regime) exponential decay rate of the empirical loss."""
    if scaling in ("conventional", "random-features"):
        return 2.0 * width * float(np.linalg.eigvalsh(gram(x, sigma))[0])
    if scaling == "ntk":
        return 2.0 * float(np.linalg.eigvalsh(ntk_gram(x, sigma))[0])
    raise BadInput("scaling", f"no kernel-regime rate for {scaling!r}; accepted: conventional, random-features, ntk")
