"""What is observed: verdicts and their intervals (more measures join per paper family)."""

from gflab.measure.verdicts import classify, proportion, verdict_fractions, wilson_interval

__all__ = ["classify", "proportion", "verdict_fractions", "wilson_interval"]
