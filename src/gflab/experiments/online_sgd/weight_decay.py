"""Experiment ``weight-decay``: the overlap ODE with weight decay against finite-d one-pass SGD.

The step u <- u - (eta/d)(grad + kappa u) puts the decay into the ODE at the rate eta kappa
(dQ/dt gets -2 eta kappa Q, dR/dt gets -eta kappa R; :mod:`gflab.theory.overlaps`). A known
pitfall of public codes is the rate kappa, without the step. Both ODEs are integrated; the SGD
runs (the same as ``overlap-ode``'s) are compared with each: the largest |z| against the right
one is the claim, the one against the pitfall shows that the comparison can tell them apart.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gflab.experiments.base import Result
from gflab.experiments.online_sgd.overlap_ode import OverlapODEExperiment, setup_of
from gflab.experiments.online_sgd.runs import compare, run_ode
from gflab.experiments.online_sgd.specs import WeightDecaySpec


class WeightDecay(OverlapODEExperiment):
    name = "weight-decay"
    spec_class = WeightDecaySpec

    def run(self, spec: WeightDecaySpec, *, progress: bool = False) -> Result:  # type: ignore[override]
        result, sims = self.measure(spec)
        if sims:
            pitfall = dataclasses.replace(setup_of(spec), weight_decay=spec.weight_decay / spec.eta)  # ODE rate kappa
            wrong, _ = run_ode(pitfall, np.asarray(result.metrics["times"]), spec.rtol, spec.atol)
            result.metrics["max_z_pitfall"] = compare(wrong, sims)["max_z"]
        return result
