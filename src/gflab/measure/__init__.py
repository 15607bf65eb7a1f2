"""What is observed: verdicts and their intervals (more measures join per paper family)."""

from gflab.measure.verdicts import VERDICT_NAMES, classify, proportion, verdict_fractions, wilson_interval

__all__ = ["VERDICT_NAMES", "classify", "proportion", "verdict_fractions", "wilson_interval"]
