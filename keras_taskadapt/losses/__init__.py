"""Losses of the hierarchical split auto-encoders (seed 000 chapter 3, seeds 001/002)."""
from keras_taskadapt.losses.rate_reduction import (
    MCR2_EPS,
    CodingRateReduction,
    augmentation_groups,
    coarse_labels,
    coding_rate,
)

__all__ = [
    "MCR2_EPS",
    "CodingRateReduction",
    "augmentation_groups",
    "coarse_labels",
    "coding_rate",
]
