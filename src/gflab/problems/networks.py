"""Two-layer networks on data: f(x) = s sum_j a_j sigma(w_j . x) with m = ``width`` hidden units.

The scalings (E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning";
:mod:`gflab.theory.networks`):

- ``conventional`` (the talk's): s = 1, a(0) = 0, w(0) ~ N(0, I/d);
- ``ntk`` (Jacot, Gabriel & Hongler 2018; Du et al. 2018): s = 1/sqrt(m), a(0) ~ N(0, 1),
  w(0) ~ N(0, I/d);
- ``mean-field``: s = 1/m, particles (a_j, w_j) with a(0) ~ N(0, 1), w(0) ~ N(0, I/d);
- ``random-features``: the first layer is frozen at w(0) (a problem field), only a is trained
  (s = 1, a(0) = 0: the conventional network with w frozen).

Loss: the empirical squared loss L = 1/(2n) sum_i (f(x_i) - y_i)^2 over the n samples. For SGD
the problem also carries its batch stream's ``key`` (raw key data): batches of B indices drawn
with replacement, as in the analysis of Wu, Ma & E 2018.
"""

from __future__ import annotations

from typing import get_args

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.hermite import ACTIVATIONS
from gflab.problems.base import AbstractProblem
from gflab.theory.networks import DataSet, Scaling, width_normalisation

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Params = dict[str, jax.Array]


class TwoLayerNet(AbstractProblem):
    """A two-layer network under ``scaling`` on the samples (x, y), squared loss."""

    x: jax.Array  # (n, d)
    y: jax.Array  # (n,)
    frozen: jax.Array  # (m, d): the first layer of the random-features model (unused otherwise)
    key: jax.Array | None = None  # raw uint32 key data of the SGD batch stream
    sigma: str = eqx.field(static=True, default="tanh")
    scaling: Scaling = eqx.field(static=True, default="conventional")

    def predict(self, params: Params, x: jax.Array) -> jax.Array:
        w = self.frozen if self.scaling == "random-features" else params["w"]
        return ACTIVATIONS[self.sigma](x @ w.T) @ params["a"] / width_normalisation(self.scaling, w.shape[0])

    def sample_loss(self, params: Params, sample: tuple[jax.Array, jax.Array]) -> jax.Array:
        """l_i = (f(x_i) - y_i)^2 / 2 for one sample (x_i, y_i): L is their mean."""
        x, y = sample
        return 0.5 * (self.predict(params, x[None])[0] - y) ** 2

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> jax.Array:
        return jax.random.randint(key, (size,), 0, self.y.shape[0])

    def batch_loss(self, params: Params, batch: jax.Array) -> jax.Array:
        return 0.5 * jnp.mean((self.predict(params, self.x[batch]) - self.y[batch]) ** 2)

    def loss(self, params: Params) -> jax.Array:
        return 0.5 * jnp.mean((self.predict(params, self.x) - self.y) ** 2)


def init_params(key: jax.Array, d: int, width: int, scaling: Scaling) -> tuple[Params, jax.Array]:
    """(trainable parameters, frozen first layer) at initialisation under ``scaling``."""
    kw, ka = jax.random.split(key)
    w = jax.random.normal(kw, (width, d)) / np.sqrt(d)
    a = jnp.zeros(width) if scaling in ("conventional", "random-features") else jax.random.normal(ka, (width,))
    params = {"a": a} if scaling == "random-features" else {"w": w, "a": a}
    return params, w


DATASETS: tuple[DataSet, ...] = get_args(DataSet)


def dataset(name: str, n_samples: int, seed: int = 0, d: int = 10, teacher_width: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(X, y), ``n_samples`` rows, for one of :data:`DATASETS`:

    - ``digits``: scikit-learn's bundled 8x8 digits, pixels / 16, y = +1 for 0-4, -1 for 5-9;
    - ``teacher``: x ~ N(0, I_d), y from a random two-layer ReLU teacher of ``teacher_width``;
    - ``barron``: x ~ N(0, I_d), y = (1/M) sum_k a_k relu(w_k . x) with M = 4096 particles,
      a_k ~ N(0, 1), w_k uniform on the unit sphere: a Monte-Carlo sample of a Barron-space
      function E_rho[a relu(w . x)] (Barron norm about E|a| |w| = sqrt(2/pi));
    - ``cosine``: x uniform on [0, 1]^d, y = sqrt(2) cos(2 pi b . x) with b = (1, .., 1), one
      member of the talk's orthonormal family.
    """
    rng = np.random.default_rng(seed)
    if name == "digits":
        from sklearn.datasets import load_digits

        images, labels = load_digits(return_X_y=True)
        if n_samples > len(labels):
            raise BadInput("n_samples", f"digits has {len(labels)} samples (got {n_samples})")
        pick = rng.choice(len(labels), size=n_samples, replace=False)
        return images[pick] / 16.0, np.where(labels[pick] < 5, 1.0, -1.0)
    if name == "teacher":
        x = rng.normal(size=(n_samples, d))
        w, a = rng.normal(size=(teacher_width, d)) / np.sqrt(d), rng.normal(size=teacher_width) / np.sqrt(teacher_width)
        return x, np.maximum(x @ w.T, 0.0) @ a
    if name == "barron":
        x = rng.normal(size=(n_samples, d))
        w = rng.normal(size=(4096, d))
        w /= np.linalg.norm(w, axis=1, keepdims=True)
        return x, np.maximum(x @ w.T, 0.0) @ rng.normal(size=4096) / 4096
    if name == "cosine":
        x = rng.uniform(size=(n_samples, d))
        return x, np.sqrt(2.0) * np.cos(2 * np.pi * x.sum(axis=1))
    raise BadInput("data", f"unknown data set {name!r}; accepted: {', '.join(DATASETS)}")
