"""Subspace losses (Bietti, Bruna & Pillaud-Vivien 2023): exact formulas against Monte Carlo,
reduction against the full-d flow, orthonormality kept by the flow, and the plateau predictions'
leading terms."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab import GradientFlow, Save, simulate
from gflab.errors import BadInput
from gflab.problems.subspace import (
    GrassmannTwoTimescale,
    PlantedStiefel,
    every_mode,
    link_tensors,
    link_values,
    overlaps,
    reduced_start,
    stiefel_start,
    subspace_distance,
)
from gflab.theory.subspace import LINKS, PLATEAUS, link


def _problem(cls, name: str, d: int):  # type: ignore[no-untyped-def]
    r = len(next(iter(LINKS[name])))
    return cls(index=jnp.asarray(np.eye(r, d)), tensors=tuple(jnp.asarray(t) for t in link_tensors(LINKS[name])))


@pytest.mark.parametrize("name", list(LINKS))
def test_tensor_norms_are_the_link_energy(name: str) -> None:
    z = np.random.default_rng(0).normal(size=(400_000, len(next(iter(LINKS[name])))))
    g = link_values(LINKS[name], z)
    energy = sum(float(np.sum(t**2)) for t in link_tensors(LINKS[name]))
    constant = LINKS[name].get((0,) * z.shape[1], 0.0)
    assert abs(np.mean(g**2) - constant**2 - energy) < 5 * np.std(g**2) / math.sqrt(len(g))


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param("staircase", marks=pytest.mark.slow), "he3-pair"])
def test_losses_match_monte_carlo(name: str) -> None:
    d, n = 12, 100_000
    r = 2
    w = np.asarray(stiefel_start(jax.random.key(1), r, d))
    rng = np.random.default_rng(2)
    x, xi = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    v = np.eye(r, d)
    g = lambda z: link_values(LINKS[name], z)  # noqa: E731
    y = g(x @ v.T)
    # E[E[y | W^T x]^2] = E[g(V^T x) g(V^T x')] with x' sharing W^T x and independent elsewhere
    proj = w.T @ w
    y_twin = g((x @ proj + xi - xi @ proj) @ v.T)
    two = y**2 - y * y_twin
    planted = (g(x @ w.T) - y) ** 2
    for exact, sample in (
        (_problem(GrassmannTwoTimescale, name, d).loss(jnp.asarray(w)), two),
        (_problem(PlantedStiefel, name, d).loss(jnp.asarray(w)), planted),
    ):
        assert abs(float(exact) - np.mean(sample)) < 5 * np.std(sample) / math.sqrt(n)


def test_two_timescale_loss_depends_on_the_subspace_only() -> None:
    w = stiefel_start(jax.random.key(3), 2, 9)
    rotation = jnp.asarray([[math.cos(0.7), -math.sin(0.7)], [math.sin(0.7), math.cos(0.7)]])
    two, planted = _problem(GrassmannTwoTimescale, "he3-pair", 9), _problem(PlantedStiefel, "he3-pair", 9)
    assert float(two.loss(rotation @ w)) == pytest.approx(float(two.loss(w)), abs=1e-12)
    assert abs(float(planted.loss(rotation @ w)) - float(planted.loss(w))) > 1e-3


@pytest.mark.slow
def test_reduced_flow_equals_the_full_flow_and_stays_orthonormal() -> None:
    d, r = 40, 2
    w_full = np.asarray(stiefel_start(jax.random.key(4), r, d))
    # the reduced start of the same W: coordinates in span(V, W)
    a, b = w_full[:, :r], w_full[:, r:]
    vals, vecs = np.linalg.eigh(b @ b.T)
    w_red = np.concatenate([a, (vecs * np.sqrt(vals)) @ vecs.T], axis=1)
    ts = tuple(np.geomspace(1e-2, 100.0, 8))
    dyn = GradientFlow(rtol=1e-11, atol=1e-13, t1=100.0, solver="dopri8")
    save = Save(ts=ts, observables={"overlaps": overlaps})
    for cls in (GrassmannTwoTimescale, PlantedStiefel):
        full = simulate(_problem(cls, "staircase", d), dyn, jnp.asarray(w_full), save=save)
        red = simulate(_problem(cls, "staircase", 2 * r), dyn, jnp.asarray(w_red), save=save)
        assert np.max(np.abs(full.observations["overlaps"] - red.observations["overlaps"])) < 1e-8
        np.testing.assert_allclose(full.final_params @ full.final_params.T, np.eye(r), atol=1e-8)


def test_reduced_start_is_orthonormal_with_haar_overlaps() -> None:
    w = np.asarray(reduced_start(jax.random.key(5), 2, 50, (5_000,)))
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", w, w), np.broadcast_to(np.eye(2), (5_000, 2, 2)), atol=1e-12)
    assert np.mean(w[:, :, :2] ** 2) == pytest.approx(1 / 50, rel=0.05)  # E[M_ij^2] = 1/d


@pytest.mark.parametrize("name", list(PLATEAUS))
def test_leading_terms_of_the_plateau_predictions(name: str) -> None:
    """With the earlier plateaus' directions learned (overlap 1) and the next one at overlap m,
    the loss falls by weight * m^(2 order) to leading order: the (order, weight) of each plateau."""
    tensors = [jnp.asarray(t) for t in link_tensors(LINKS[name])]
    energy = lambda mat: sum(float(jnp.sum(every_mode(mat, t) ** 2)) for t in tensors)  # noqa: E731
    learned: list[int] = []
    m = 1e-3
    for plateau in PLATEAUS[name]:
        before = np.zeros(len(tensors[0]))
        before[learned] = 1.0
        after = before.copy()
        after[plateau.direction] = m
        gain = energy(jnp.diag(jnp.asarray(after))) - energy(jnp.diag(jnp.asarray(before)))
        assert gain == pytest.approx(plateau.weight * m ** (2 * plateau.order), rel=1e-5)
        learned.append(plateau.direction)


def test_subspace_distance_is_the_norm_of_the_principal_sines() -> None:
    from scipy.linalg import subspace_angles

    w, v = np.asarray(stiefel_start(jax.random.key(6), 3, 10, (2,)))
    assert subspace_distance(w @ v.T) == pytest.approx(np.linalg.norm(np.sin(subspace_angles(w.T, v.T))), rel=1e-12)


def test_unknown_link_is_bad_input() -> None:
    with pytest.raises(BadInput, match="link"):
        link("spiral")
