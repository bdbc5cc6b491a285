"""Hierarchical training strategies of split models (seed 000 sections 3.3.1-3.3.2, seeds 001 and 002).

:class:`HierarchicalTraining` runs one phase at a time (:data:`PHASES`); the strategies
:class:`EndToEnd`, :class:`JointLoss`, :class:`DuPHiL` and :class:`ThreeStep` schedule the
phases by epoch (registered in :data:`STRATEGIES` by their command-line names), switched by
the :class:`~keras_taskadapt.phases.PhaseSchedule` callback. :class:`AugmentedViews` makes the
self-supervised views.
"""
from keras_taskadapt.hierarchical.training.hierarchical_training import PHASES, HierarchicalTraining
from keras_taskadapt.hierarchical.training.strategies import (
    STRATEGIES,
    DuPHiL,
    EndToEnd,
    JointLoss,
    ThreeStep,
)
from keras_taskadapt.hierarchical.training.views import AugmentedViews

__all__ = [
    "PHASES",
    "STRATEGIES",
    "AugmentedViews",
    "DuPHiL",
    "EndToEnd",
    "HierarchicalTraining",
    "JointLoss",
    "ThreeStep",
]
