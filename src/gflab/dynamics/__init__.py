"""How parameters move: steppers lifted to ensembles by :mod:`gflab.dynamics.engine`."""

from gflab.dynamics.adiabatic import AdiabaticLimit
from gflab.dynamics.base import AbstractDynamics
from gflab.dynamics.flow import GradientFlow
from gflab.dynamics.gd import GradientDescent
from gflab.dynamics.sde import EulerMaruyama
from gflab.dynamics.sgd import SGD

__all__ = ["SGD", "AbstractDynamics", "AdiabaticLimit", "EulerMaruyama", "GradientDescent", "GradientFlow"]
