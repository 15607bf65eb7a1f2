"""The overlap equations of one-pass SGD for two-layer networks in high dimension.

Saad & Solla 1995, "On-line learning in soft committee machines" (Phys. Rev. E 52, 4225);
Biehl & Schwarze 1995, "Learning by on-line gradient descent" (J. Phys. A 28, 643);
Goldt, Advani, Saxe, Krzakala & Zdeborova 2019, "Dynamics of stochastic gradient descent for
two-layer neural networks in the teacher-student setup" (NeurIPS).

Model: x ~ N(0, I_d); student f(x) = sum_{k<K} a_k g(lambda_k), lambda_k = u_k . x; teacher
y = sum_{n<M} b_n g*(nu_n) + sigma zeta, nu_n = v_n . x, zeta ~ N(0, 1) (label noise). The
weights u_k = w_k / sqrt(d) are of unit scale, so that the order parameters Q = U U^T = W W^T / d,
R = U V^T, T = V V^T are of order one and (lambda, nu) is Gaussian with covariance
Omega = [[Q, R], [R^T, T]].

Step convention (used everywhere in gflab): one SGD step on a batch of n_b fresh samples is
u_k <- u_k - (eta / d) [a_k (1/n_b) sum_s g'(lambda_k^s) Delta^s x^s + kappa u_k],
a_k <- a_k - (eta_a / d) (1/n_b) sum_s g(lambda_k^s) Delta^s, Delta = f(x) - y, and the time is
t = steps / d. Conversions: Saad & Solla's J_i (norm of order one, step eta/N) are our u_k;
Goldt et al. step w by eta/sqrt(d) with lambda = w.x/sqrt(d), the same as ours; a plain SGD step
gamma on u (time counted in steps, as in the single-index literature) is eta = gamma d, and
steps = t d; counted in samples, t = samples / (n_b d) here.

As d -> infinity the overlaps concentrate on the solution of (Phi_kj = E[g'(lambda_k) z_j Delta],
Psi_kl = E[g'(lambda_k) g'(lambda_l) Delta^2], z = (lambda, nu)):

    dQ_kl/dt = -eta (a_k Phi_kl + a_l Phi_lk) + (eta^2 / n_b) a_k a_l Psi_kl - 2 eta kappa Q_kl
    dR_kn/dt = -eta a_k Phi_k,K+n - eta kappa R_kn
    da_k/dt  = -eta_a E[g(lambda_k) Delta]

and the generalisation error is eps_g = E[(f - y + sigma zeta)^2] / 2. The weight decay kappa
enters through the step: its rate in the ODE is eta kappa (codes that write kappa alone change
the time unit of the decay). Label noise adds sigma^2 E[g'(lambda_k) g'(lambda_l)] to Psi.

Everything is written for an array module ``xp`` (numpy or jax.numpy), so that the same
formulas serve the theory (numpy) and the integrated ODE (JAX).

Closed forms for G(x) = erf(x / sqrt(2)) (Saad & Solla 1995, appendix), with C a covariance:
I2(a,b) = E[G(z_a) G(z_b)] = (2/pi) arcsin(C_ab / sqrt((1+C_aa)(1+C_bb)));
I3(a,b,c) = E[G'(z_a) z_b G(z_c)] = (2/pi) (C_bc (1+C_aa) - C_ab C_ac) / ((1+C_aa) sqrt(L3)),
L3 = (1+C_aa)(1+C_cc) - C_ac^2;
I4(a,b,c,e) = E[G'(z_a) G'(z_b) G(z_c) G(z_e)] = (4/pi^2) arcsin(L0 / sqrt(L1 L2)) / sqrt(L4);
J2(a,b) = E[G'(z_a) G'(z_b)] = (2/pi) / sqrt(L4), L4 = (1+C_aa)(1+C_bb) - C_ab^2.
A scaled G(s x) is the same function on the covariance s^2 C, with s per derivative:
gflab's ``erf`` is erf(z) = G(sqrt(2) z).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

PAPER = "Saad & Solla 1995, On-line learning in soft committee machines; Goldt et al. 2019"

# activations with closed-form integrals: name -> s with g(z) = erf(s z / sqrt(2))
ERF_SCALES: dict[str, float] = {"erf": math.sqrt(2.0), "erf-ss": 1.0}


class Integrals(NamedTuple):
    """The Gaussian integrals over z = (lambda_1..K, nu_1..M) with covariance Omega.

    f_i is g for a student index i < K and g* for a teacher index.
    I2[i, j] = E[f_i f_j]; I3[k, j, i] = E[g'(z_k) z_j f_i(z_i)]; I4[k, l, i, j] =
    E[g'(z_k) g'(z_l) f_i f_j]; J2[k, l] = E[g'(z_k) g'(z_l)] (k, l students).
    """

    I2: Any
    I3: Any
    I4: Any
    J2: Any


def erf_integrals(C: Any, K: int, scale: float = 1.0, xp: Any = np) -> Integrals:
    """The closed forms above for g = g* = G(scale z) on the covariance ``C`` (n x n, n = K + M)."""
    c = scale**2 * C
    diag = 1.0 + xp.diagonal(c)
    pi = math.pi
    i2 = (2 / pi) * xp.arcsin(c / xp.sqrt(diag[:, None] * diag[None, :]))
    ca, cs = diag[:K], c[:K]  # the g' index runs over students
    # I3[k, j, i] = (2/pi) (C_ji (1+C_kk) - C_kj C_ki) / ((1+C_kk) sqrt((1+C_kk)(1+C_ii) - C_ki^2))
    l3 = ca[:, None] * diag[None, :] - cs**2
    i3 = (
        (2 / pi)
        * (c[None, :, :] * ca[:, None, None] - cs[:, :, None] * cs[:, None, :])
        / (ca[:, None, None] * xp.sqrt(l3)[:, None, :])
    )
    # I4[k, l, i, j] (a = k, b = l, c = i, e = j)
    cab = cs[:, :K]
    l4 = ca[:, None] * ca[None, :] - cab**2
    one_a, one_b = ca[:, None, None, None], ca[None, :, None, None]
    ab = cab[:, :, None, None]
    ac, ae = cs[:, None, :, None], cs[:, None, None, :]
    bc, be = cs[None, :, :, None], cs[None, :, None, :]
    lam4 = l4[:, :, None, None]
    l0 = lam4 * c[None, None] - bc * be * one_a - ac * ae * one_b + ab * ac * be + ab * ae * bc
    l1 = lam4 * diag[None, None, :, None] - bc**2 * one_a - ac**2 * one_b + 2 * ab * ac * bc
    l2 = lam4 * diag[None, None, None, :] - be**2 * one_a - ae**2 * one_b + 2 * ab * ae * be
    i4 = (4 / pi**2) * xp.arcsin(l0 / xp.sqrt(l1 * l2)) / xp.sqrt(lam4)
    j2 = (2 / pi) / xp.sqrt(l4)
    # d/dz G(s z) = s G'(s z): s per g' and s^-1 per bare z (I3 has one of each)
    return Integrals(I2=i2, I3=i3, I4=scale**2 * i4, J2=scale**2 * j2)


@dataclass(frozen=True)
class Rates:
    """The step sizes and noise of the overlap equations (see the module docstring).

    ``variance`` weighs the eta^2 terms: 1 keeps them, 0 drops them (the limit eta -> 0, time in
    units of eta t with eta = 1)."""

    eta: Any = 1.0
    eta_a: Any = 0.0
    batch_size: Any = 1.0
    noise: Any = 0.0
    weight_decay: Any = 0.0
    variance: Any = 1.0


def covariance(Q: Any, R: Any, T: Any, xp: Any = np) -> Any:
    """Omega = [[Q, R], [R^T, T]]."""
    return xp.concatenate([xp.concatenate([Q, R], axis=1), xp.concatenate([R.T, T], axis=1)], axis=0)


def generalisation_error(ints: Integrals, a: Any, b: Any, xp: Any = np) -> Any:
    """eps_g = (1/2) E[(f(x) - f*(x))^2] = (1/2) c^T I2 c, c = (a, -b) (noise-free targets)."""
    c = xp.concatenate([a, -b])
    return 0.5 * c @ ints.I2 @ c


def drift(Q: Any, R: Any, a: Any, b: Any, ints: Integrals, rates: Rates, xp: Any = np) -> tuple[Any, Any, Any]:
    """(dQ/dt, dR/dt, da/dt) of the overlap equations, from the integrals at Omega."""
    K = Q.shape[0]
    c = xp.concatenate([a, -b])
    phi = xp.einsum("kji,i->kj", ints.I3, c)  # E[g'(lambda_k) z_j Delta]
    first = a[:, None] * phi[:, :K]
    dQ = -rates.eta * (first + first.T) - 2 * rates.eta * rates.weight_decay * Q
    psi = xp.einsum("klij,i,j->kl", ints.I4, c, c) + rates.noise**2 * ints.J2
    dQ = dQ + rates.variance * (rates.eta**2 / rates.batch_size) * a[:, None] * a[None, :] * psi
    dR = -rates.eta * a[:, None] * phi[:, K:] - rates.eta * rates.weight_decay * R
    da = -rates.eta_a * (ints.I2[:K] @ c)
    return dQ, dR, da


def plateau_point(K: int) -> tuple[float, float]:
    """The symmetric plateau of the soft committee machine (g = erf(x/sqrt2), K = M, T = I,
    a = b = 1, eta -> 0): Q_ik = 1/(2K-1), R_in = 1/sqrt(K(2K-1)) for all i, k, n.

    Derived here: on the invariant manifold u_i = alpha s (all students equal, s = sum_n v_n /
    sqrt K) the error is eps(alpha) = (1/pi)[K^2 arcsin(alpha^2/(1+alpha^2)) + K pi/6 -
    2K^2 arcsin(alpha / sqrt(2K(1+alpha^2)))]; d eps/d alpha = 0 reduces to
    (2K-1) alpha^4 + (2K-2) alpha^2 - 1 = 0, whose positive root is alpha^2 = 1/(2K-1); by
    symmetry a critical point on the manifold is one of the full flow. Returns (Q, R).
    """
    return 1.0 / (2 * K - 1), 1.0 / math.sqrt(K * (2 * K - 1))


def plateau_error(K: int) -> float:
    """eps_g on the symmetric plateau (derived here): both arcsin arguments equal 1/(2K), so
    eps_g = K/6 - (K^2/pi) arcsin(1/(2K)).

    >>> round(plateau_error(2), 10)
    0.0116108403
    """
    return K / 6 - (K**2 / math.pi) * math.asin(1.0 / (2 * K))


__all__ = [
    "ERF_SCALES",
    "PAPER",
    "Integrals",
    "Rates",
    "covariance",
    "drift",
    "erf_integrals",
    "generalisation_error",
    "plateau_error",
    "plateau_point",
]
