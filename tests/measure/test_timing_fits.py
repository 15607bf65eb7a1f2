"""Hitting times and power-law fits on series with known answers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab import GradientFlow, Save, Stop, simulate
from gflab.measure.fits import fit_statistic
from gflab.measure.timing import hitting_time
from gflab.problems.base import AbstractProblem


@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 9.9), st.floats(0.5, 3.0))
def test_hitting_time_of_a_linear_series_is_exact(level: float, slope: float) -> None:
    ts = np.linspace(0.0, 10.0, 41)
    values = np.stack([slope * ts, -ts])
    times = hitting_time(ts, values, level * slope)
    assert times[0] == pytest.approx(level, rel=1e-12)
    assert times[1] == np.inf


def test_hitting_time_at_the_first_save() -> None:
    assert hitting_time(np.array([0.0, 1.0]), np.array([2.0, 3.0]), 1.0) == 0.0


@settings(max_examples=30, deadline=None)
@given(st.floats(0.01, 0.99), st.lists(st.floats(0.1, 10.0), min_size=1, max_size=6))
def test_hitting_time_reads_each_row_on_its_own_times(level: float, stretches: list[float]) -> None:
    """The same values v = u on per-row time grids t = s_i u: the crossing of v = level is at
    s_i level in row i."""
    s = np.asarray(stretches)
    u = np.linspace(0.0, 1.0, 11)
    ts = s[:, None] * u[None]  # (rows, T)
    times = hitting_time(ts, np.broadcast_to(u, ts.shape), level)
    np.testing.assert_allclose(times, s * level, rtol=1e-12)


class _Growth(AbstractProblem):
    """L(y) = -|y|^2 / 2: the flow y' = y, y(t) = y0 e^t."""

    def loss(self, y: jax.Array) -> jax.Array:
        return -0.5 * jnp.sum(y**2)


def _log_y(problem: _Growth, y: jax.Array) -> jax.Array:
    """log y(t) = log y0 + t: linear in t, so linear interpolation reads its crossings exactly."""
    return jnp.log(y[0])


@dataclass(frozen=True)
class _Above:
    level: float

    def __call__(self, problem: _Growth, y: jax.Array) -> jax.Array:
        return y[0] >= self.level


def test_a_crossing_just_before_a_stop_event_is_read_at_its_time() -> None:
    """y' = y from y0 = e^-a, stopped by the event y >= e^2.5 between the coarse saves at t = 2
    and 3: the crossing is t* = 2.5 + a. The saves after the stop hold the state at the stop;
    read against their recorded times (``saved_ts``, the stop time) the crossing is exact to the
    solver's tolerance; read against the save grid it comes out late, up to one save interval."""
    a = np.array([0.0, 0.1, 0.2, 0.3])
    traj = simulate(
        _Growth(),
        GradientFlow(rtol=1e-10, atol=1e-12, t1=4.0),
        jnp.asarray(np.exp(-a)[:, None]),
        y0_batched=True,
        save=Save(ts=(0.0, 1.0, 2.0, 3.0, 4.0), observables={"log_y": _log_y}),
        stop=Stop(event=_Above(math.exp(2.5))),
    )
    assert np.all((traj.t_final > 2.5 + a) & (traj.t_final < 3.0))  # each stop falls between two saves
    np.testing.assert_allclose(hitting_time(traj.saved_ts, traj.observations["log_y"], 2.5), 2.5 + a, atol=1e-8)
    late = hitting_time(traj.ts, traj.observations["log_y"], 2.5) - (2.5 + a)
    assert np.all(late > 0.05)


def test_power_law_recovers_its_exponent() -> None:
    rng = np.random.default_rng(0)
    x = np.array([64, 128, 256, 512, 1024])
    samples = [xi**0.75 * rng.lognormal(0.0, 0.3, 400) for xi in x]
    fit = fit_statistic(x, samples, np.median)
    assert fit.slope == pytest.approx(0.75, abs=0.03)
    assert fit.low < 0.75 < fit.high


def test_log_law_recovers_its_slope() -> None:
    rng = np.random.default_rng(1)
    x = np.array([32, 64, 128, 256, 512])
    samples = [0.25 * np.log(xi) + 1.0 + rng.normal(0.0, 0.05, 400) for xi in x]
    fit = fit_statistic(x, samples, np.median, law="log")
    assert fit.slope == pytest.approx(0.25, abs=0.01)
    assert fit.low < 0.25 < fit.high


def test_power_law_rejects_infinite_statistics() -> None:
    with pytest.raises(ValueError, match="finite"):
        fit_statistic([1, 2], [np.array([np.inf, np.inf, 1.0]), np.array([1.0])], np.median)
