"""Claims of the multi-index family: correlation loss on the sphere (Simsek, Bendjeddou & Hsu 2024), two-timescale and planted flows (Bietti, Bruna & Pillaud-Vivien 2023)."""

from __future__ import annotations

from gflab.claims.claim import Claim, Quantity
from gflab.theory import multi_index as sbh
from gflab.theory import subspace as bbp


def _directional_sizes(p: int, *, quick: bool) -> dict[str, object]:
    """Spec of the directional-convergence claims for sigma = sigma* = He_p (both claims share it)."""
    common = {"sigma": f"he{p}", "sigma_star": f"he{p}", "k": 4, "n_neurons": 8, "d": 1024}
    if quick:
        return {**common, "seeds": 400, "coverage_pool": 500}  # the pool only draws the coverage figure
    return {**common, "seeds": 3000, "coverage_pool": 20000, "coverage_ks": [2, 4, 8, 16]}


CLAIMS: tuple[Claim, ...] = (
    *(
        Claim(
            id=f"search-phase.exponent-he{p}",
            experiment="search-phase",
            statement=f"sigma = sigma* = he{p} (p* = {p}), k = 1: the median time for a neuron to reach overlap 1/2 from a "
            f"uniform start grows like d^((p*-2)/2) over d = 64 .. 4096 (fitted exponent within 0.1)",
            paper=sbh.PAPER + ", search phase",
            measured="exponent.value",
            relation="within",
            threshold=0.1,
            predicted=sbh.search_exponent(p),
            quick={"sigma": f"he{p}", "sigma_star": f"he{p}", "seeds": 300},
            full={"sigma": f"he{p}", "sigma_star": f"he{p}", "seeds": 3000},
            figures=("search_time",),
            measured_label="fitted exponent of the median search time in d",
        )
        for p in (3, 4)
    ),
    *(
        claim
        for p in (3, 4)
        for claim in (
            Claim(
                id=f"directional-convergence.nearest-he{p}",
                experiment="directional-convergence",
                statement=f"he{p}, k = 4 orthonormal index vectors, d = 1024: every neuron with a nearest index vector "
                f"(largest {'positive ' if p % 2 else '|'}initial overlap{'' if p % 2 else '|'}) converges to it "
                "(lower end of the Wilson interval of that fraction at least 0.99)",
                paper=sbh.PAPER + ", directional convergence",
                measured="to_nearest.low",
                relation=">=",
                threshold=0.99,
                predicted=1.0,
                quick=_directional_sizes(p, quick=True),
                full=_directional_sizes(p, quick=False),
                measured_label="lower end of the Wilson interval of the share of neurons that reach their nearest index vector",
            ),
            Claim(
                id=f"directional-convergence.coverage-he{p}",
                experiment="directional-convergence",
                statement=f"he{p}, k = 4, n = 8 neurons: the probability that all index vectors are found equals the "
                + ("occupancy law k! S(n,k) / k^n" if p % 2 == 0 else "occupancy law with a 'none' cell of probability 2^-k")
                + " (prediction inside the 95% interval over networks)",
                paper=sbh.PAPER + ", n ~ k log k",
                measured="coverage.fraction",
                relation="covers",
                threshold=0.0,
                predicted=sbh.coverage_probability(8, 4, sbh.none_probability(4, "odd" if p % 2 else "even")),
                quick=_directional_sizes(p, quick=True),
                full=_directional_sizes(p, quick=False),
                measured_label="share of networks that found every index vector (95% interval in coverage.low, coverage.high)",
            ),
        )
    ),
    *(
        Claim(
            id=f"beta-threshold.{how}-he{p}",
            experiment="beta-threshold",
            statement=f"he{p}, v_i.v_j = beta: the average of the index vectors turns from saddle to minimum at "
            f"beta_c = c/(c+k), c = {p - 2}, for k = 2, 4, 8 (measured by {what}; largest error at most 0.01)",
            paper=sbh.PAPER + ", threshold",
            measured=f"max_error_{how}",
            relation="<=",
            threshold=0.01,
            predicted=0.0,
            quick={"sigma": f"he{p}", "sigma_star": f"he{p}", "ks": [2, 4, 8], "plot_betas": 10, "seeds": 5},
            full={"sigma": f"he{p}", "sigma_star": f"he{p}", "ks": [2, 4, 8], "plot_betas": 20, "seeds": 20},
            figures=("recovered",),
            measured_label="largest |measured - predicted beta_c| over k",
            quantity=Quantity("threshold beta_c", measured=f"thresholds.*.{how}", predicted="thresholds.*.predicted", over="k"),
        )
        for p in (3, 4)
        for how, what in (("flow", "perturbed gradient flows"), ("hessian", "the Riemannian Hessian"))
    ),
    Claim(
        id="two-timescale.global-staircase",
        experiment="two-timescale",
        statement="staircase link g = z1 + z1 z2 (r = 2), d = 32 .. 1024: the two-timescale Grassmannian flow from "
        "random subspaces reaches the global minimum (subspace distance below 1e-3) in at least 99% of runs",
        paper=bbp.PAPER + ", global convergence",
        measured="global.fraction",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick={"link": "staircase", "seeds": 100},
        full={"link": "staircase", "seeds": 1000},
        figures=("plateaus",),
        measured_label="share of runs (all d) that reach the global minimum",
    ),
    Claim(
        id="two-timescale.order-staircase",
        experiment="two-timescale",
        statement="staircase link: the plateaus end in the predicted order (z1 learned first, then z2; share of runs "
        "at d = 1024 at least 0.99)",
        paper=bbp.PAPER + ", saddle-to-saddle",
        measured="min_in_predicted_order",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick={"link": "staircase", "seeds": 100},
        full={"link": "staircase", "seeds": 1000},
        figures=("plateaus",),
        measured_label="share of runs whose plateaus end in the predicted order (smallest over the plateaus)",
    ),
    *(
        Claim(
            id=f"two-timescale.escape-{name}",
            experiment="two-timescale",
            statement=f"{name} link: {what} (every plateau's fitted scaling within 0.15 of the derived one)",
            paper=bbp.PAPER + ", saddle-to-saddle (derivation in gflab.theory.subspace)",
            measured="max_error",
            relation="<=",
            threshold=0.15,
            predicted=0.0,
            quick={"link": name, "seeds": 100},
            full={"link": name, "seeds": 1000},
            figures=("plateaus",),
            measured_label="largest |fitted - derived scaling| over the plateaus",
            quantity=Quantity(
                "escape-time scaling (slope in log d, or exponent of d)",
                measured="plateaus.*.fit.value",
                predicted="plateaus.*.predicted",
                over="plateau",
            ),
        )
        for name, what in (
            ("staircase", "two plateaus, each escape time ~ log(d) / 4 (order-2 terms in the overlap)"),
            ("he2", "one plateau, escape time ~ d^1 (order-4 term in the overlap)"),
        )
    ),
    Claim(
        id="planted.trapped-staircase",
        experiment="planted",
        statement="staircase link, d = 32, link known and fixed: a positive fraction of random starts ends at a "
        "non-global critical point (lower end of the trapped fraction's Wilson interval above 0; predicted trap: "
        "planted loss 7/4 on the det M = -1 component)",
        paper=bbp.PAPER + ", planted problem",
        measured="planted.trapped.low",
        relation=">",
        threshold=0.0,
        predicted=None,
        quick={"link": "staircase", "seeds": 400},
        full={"link": "staircase", "seeds": 4000},
        figures=("final_losses",),
        measured_label="lower end of the Wilson interval of the trapped share",
    ),
    Claim(
        id="planted.two-timescale-global",
        experiment="planted",
        statement="same target and starts: the two-timescale flow reaches the global minimum (subspace distance "
        "below 1e-3) in at least 99% of runs",
        paper=bbp.PAPER + ", planted problem",
        measured="two_timescale_global.fraction",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick={"link": "staircase", "seeds": 400},
        full={"link": "staircase", "seeds": 4000},
        figures=("final_losses",),
        measured_label="share of two-timescale runs that reach the global minimum",
    ),
)
