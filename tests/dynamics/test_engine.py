"""The ensemble engine: slots, refills and devices never change a trajectory's numbers."""

from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab import GradientDescent, GradientFlow, Save, Stop, simulate
from gflab.errors import BadInput
from gflab.problems import AbstractProblem, CurveFit, make_model
from gflab.problems.curves import output
from gflab.simulation import loss


class Isotropic(AbstractProblem):
    """L(w) = scale |w|^2 / 2."""

    scale: jnp.ndarray

    def loss(self, params: jnp.ndarray) -> jnp.ndarray:
        return 0.5 * self.scale * jnp.sum(params**2)


def _ensemble(slots: int) -> object:
    model = make_model("trig", d=3, W=2, seed=4)
    targets = np.random.default_rng(0).uniform(-1, 1, (37, 3))
    return simulate(
        CurveFit(model, jnp.asarray(targets)),
        GradientFlow(t1=200.0),
        jnp.full(2, 0.3),
        over=lambda p: p.target,
        save=Save(ts=(0.0, 1.0, 10.0, 200.0), observables={"loss": loss, "output": output}),
        stop=Stop(tol=1e-6, gtol=1e-5),
        slots=slots,
    )


@pytest.mark.slow
def test_ensemble_independent_of_slot_count_and_equal_to_single_runs() -> None:
    a, b = _ensemble(slots=5), _ensemble(slots=64)
    np.testing.assert_allclose(a.final_params, b.final_params, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(a.verdict, b.verdict)
    model = make_model("trig", d=3, W=2, seed=4)
    target = np.random.default_rng(0).uniform(-1, 1, (37, 3))[7]
    one = simulate(
        CurveFit(model, jnp.asarray(target)),
        GradientFlow(t1=200.0),
        jnp.full(2, 0.3),
        save=Save(ts=(0.0, 1.0, 10.0, 200.0)),
        stop=Stop(tol=1e-6, gtol=1e-5),
    )
    # single vs batched kernels differ in the last bits (see tests/properties): far inside rtol
    np.testing.assert_allclose(one.final_params, a.final_params[7], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(one.observations["loss"], a.observations["loss"][7], rtol=1e-8)


def test_observations_after_a_stop_repeat_the_final_value() -> None:
    traj = _ensemble(slots=8)
    stopped = traj.t_final < 10.0
    assert stopped.any()
    np.testing.assert_allclose(traj.observations["loss"][stopped, -1], traj.final_loss[stopped], rtol=1e-12)
    assert traj.observations["output"].shape == (37, 4, 3)
    # the saves after a stop carry the stop's time, not the save grid's (a crossing read off
    # them is interpolated up to the stop, not up to the next save time)
    late = traj.ts[None, :] > traj.t_final[:, None]
    np.testing.assert_array_equal(traj.saved_ts[late], np.broadcast_to(traj.t_final[:, None], late.shape)[late])
    np.testing.assert_allclose(traj.saved_ts[~late], np.broadcast_to(traj.ts, late.shape)[~late], atol=1e-9)


def test_step_sizes_differ_per_trajectory_in_one_ensemble() -> None:
    """GD on L = |w|^2 / 2: w_k = (1 - eta)^k w_0 at t = k eta, each row with its own eta and t1."""
    etas = np.array([0.1, 0.25, 0.5, 1.5])
    steps = 8
    traj = simulate(
        Isotropic(jnp.asarray(1.0)),
        GradientDescent(eta=jnp.asarray(etas), t1=jnp.asarray(steps * etas)),
        jnp.ones(2),
        dynamics_over=lambda d: (d.eta, d.t1),
        save=Save(ts=np.outer(etas, [1.0, 4.0])),  # one save grid per trajectory: after 1 and 4 steps
    )
    np.testing.assert_allclose(traj.steps, steps)
    np.testing.assert_allclose(traj.final_params, np.outer((1 - etas) ** steps, np.ones(2)), rtol=1e-13)
    expected = 0.5 * 2 * (1 - etas[:, None]) ** (2 * np.array([1, 4]))
    np.testing.assert_allclose(traj.observations["loss"], expected, rtol=1e-13)


def test_a_step_past_several_save_times_records_each_with_the_first_state_within_slack() -> None:
    """GD with eta = 1/2 has states at t = 0, 1/2, 1: saves at 0.1 and 0.2 hold the start (within
    eta/2), the save at 0.6 the state at 1/2 -- not the states one and two steps later."""
    traj = simulate(
        Isotropic(jnp.asarray(1.0)), GradientDescent(eta=0.5, t1=1.0), jnp.ones(2), save=Save(ts=(0.0, 0.1, 0.2, 0.6, 1.0))
    )
    np.testing.assert_array_equal(traj.saved_ts, [0.0, 0.0, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(traj.observations["loss"], [1.0, 1.0, 1.0, 0.25, 0.0625], rtol=1e-15)


def test_batched_initial_conditions() -> None:
    y0 = jnp.asarray(np.random.default_rng(1).normal(size=(9, 2)))
    traj = simulate(Isotropic(jnp.asarray(1.0)), GradientDescent(eta=0.5, t1=3.0), y0, y0_batched=True)
    np.testing.assert_allclose(traj.final_params, np.asarray(y0) * 0.5**6, rtol=1e-12)


@pytest.mark.parametrize("dynamics", [GradientFlow(t1=1.0), GradientDescent(eta=0.1, t1=1.0)])
def test_second_call_does_not_recompile(dynamics: object, caplog: pytest.LogCaptureFixture) -> None:
    y0, y1 = jnp.ones(3), jnp.full(3, 2.0)
    simulate(Isotropic(jnp.asarray(2.0)), dynamics, y0)
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        simulate(Isotropic(jnp.asarray(3.0)), dynamics, y1)
    assert not [r for r in caplog.messages if "jit(_advance)" in r]


def test_runs_differing_only_in_float_hyperparameters_share_one_program(caplog: pytest.LogCaptureFixture) -> None:
    """Step size, momentum, final time and stop thresholds (a rule on or off included) are
    arguments of the compiled round, not constants baked into it: the second run reuses the
    first one's program and still gets its own numbers: GD on |w|^2 / 2 in R^3 without
    momentum, w_k = (1 - eta)^k w_0 and L_k = 1.5 (1 - eta)^(2k), below tol = 0.1 first at
    k = 27 for eta = 0.05."""
    y0 = jnp.ones(3)
    simulate(Isotropic(jnp.asarray(1.0)), GradientDescent(eta=0.1, momentum=0.9, t1=1.0), y0, stop=Stop(gtol=1e-3, bound=1e8))
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        traj = simulate(
            Isotropic(jnp.asarray(1.0)), GradientDescent(eta=0.05, momentum=0.0, t1=2.0), y0, stop=Stop(tol=0.1, bound=1e12)
        )
    assert not [r for r in caplog.messages if "jit(_advance)" in r]
    assert traj.steps == 27 and str(traj.verdict_names) == "learned"
    np.testing.assert_allclose(traj.final_params, 0.95**27 * np.ones(3), rtol=1e-13)


class StaticScale(AbstractProblem):
    """L(w) = scale |w|^2 / 2 with ``scale`` a Python number that the loss branches on."""

    scale: float

    def loss(self, params: jnp.ndarray) -> jnp.ndarray:
        return 0.5 * (self.scale if self.scale > 0 else 0.0) * jnp.sum(params**2)


def test_a_float_used_as_a_python_number_stays_static() -> None:
    """A problem that branches on a float field runs as before (the float stays in the key)."""
    traj = simulate(StaticScale(2.0), GradientDescent(eta=0.1, t1=1.0), jnp.ones(2))
    np.testing.assert_allclose(traj.final_params, 0.8**10 * np.ones(2), rtol=1e-13)


def test_disagreeing_ensemble_sizes_are_bad_input() -> None:
    model = make_model("trig", d=3, W=2)
    with pytest.raises(BadInput):
        simulate(CurveFit(model, jnp.zeros((4, 3))), GradientFlow(), jnp.zeros((5, 2)), over=lambda p: p.target, y0_batched=True)


@pytest.mark.parametrize("ts", [(1.0, 0.5), (0.0, 2e4), (-1.0, 1.0)])
def test_bad_save_times_are_bad_input(ts: tuple[float, ...]) -> None:
    with pytest.raises(BadInput):
        simulate(Isotropic(jnp.asarray(1.0)), GradientFlow(t1=1e4), jnp.ones(2), save=Save(ts=ts))


def test_event_stops_a_trajectory_where_it_fires() -> None:
    from dataclasses import dataclass

    from gflab.results import StopReason

    @dataclass(frozen=True)
    class NormBelow:
        level: float

        def __call__(self, problem: AbstractProblem, w: jax.Array) -> jax.Array:
            return jnp.linalg.norm(w) < self.level

    # w(t) = w0 exp(-t): |w| crosses 1/2 at t = log 2 (reported at the end of that step)
    traj = simulate(Isotropic(jnp.asarray(1.0)), GradientFlow(t1=10.0, rtol=1e-8), jnp.ones(1), stop=Stop(event=NormBelow(0.5)))
    assert int(traj.reason) == StopReason.EVENT
    assert np.log(2) <= float(traj.t_final) < np.log(2) + 0.2
    assert float(np.abs(traj.final_params[0])) == pytest.approx(np.exp(-float(traj.t_final)), rel=1e-6)
