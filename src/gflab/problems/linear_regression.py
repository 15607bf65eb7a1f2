"""Linear regression on a finite data set, the problem of SGD with sampling from the data.

Velikanov, Kuznedelev & Yarotsky 2022, "A view of mini-batch SGD via generating functions" (their
MNIST / CIFAR experiments; here scikit-learn's bundled digits). Rows x_i (i = 1..n) in R^p and
labels y_i; the loss is L(w) = (1/2n) sum_i (x_i . w - y_i)^2 with Hessian H = X^T X / n. With
w* a least-squares minimiser and the residuals eps_i = x_i . w* - y_i (so sum_i eps_i x_i = 0),
L(w) = (e^T H e + mean eps^2) / 2 for e = w - w*.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from gflab.problems.networks import dataset


@dataclass(frozen=True, eq=False)
class LinearRegression:
    """Rows ``features`` (n, p) and ``labels`` (n,)."""

    features: np.ndarray
    labels: np.ndarray

    @cached_property
    def minimiser(self) -> np.ndarray:
        """w*, the least-squares solution of smallest norm."""
        return np.linalg.lstsq(self.features, self.labels, rcond=None)[0]

    @cached_property
    def residuals(self) -> np.ndarray:
        """eps_i = x_i . w* - y_i."""
        return self.features @ self.minimiser - self.labels

    @cached_property
    def hessian(self) -> np.ndarray:
        """H = X^T X / n."""
        return self.features.T @ self.features / len(self.labels)

    def loss(self, w: np.ndarray) -> np.ndarray:
        """(1/2n) sum_i (x_i . w - y_i)^2 over the last axis of ``w``."""
        return 0.5 * np.mean((np.asarray(w) @ self.features.T - self.labels) ** 2, axis=-1)


def digits_regression(n_samples: int, seed: int = 0) -> LinearRegression:
    """``n_samples`` of scikit-learn's digits (pixels / 16, y = +1 for 0-4 and -1 for 5-9), the rows
    scaled so that their mean squared norm is 1 (then learning rates compare with the power-law problem's)."""
    x, y = dataset("digits", n_samples, seed=seed)
    return LinearRegression(x / np.sqrt(np.mean(np.sum(x**2, axis=1))), y)
