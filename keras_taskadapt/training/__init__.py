"""Hierarchical training strategies of split models (seed 000 sections 3.3.1-3.3.2, seeds 001 and 002).

:class:`HierarchicalTraining` runs one phase at a time (:data:`PHASES`); the strategies
:class:`EndToEnd`, :class:`JointLoss`, :class:`DuPHiL` and :class:`ThreeStep` schedule the
phases by epoch (:data:`TRAINING_STRATEGIES` by their command-line names), switched by the
:class:`PhaseSchedule` callback. :class:`AugmentedViews` makes the self-supervised views.
"""
from keras_taskadapt.training.hierarchical_training import (
    PHASES,
    HierarchicalTraining,
    PhaseSchedule,
)
from keras_taskadapt.training.strategies import (
    TRAINING_STRATEGIES,
    DuPHiL,
    EndToEnd,
    JointLoss,
    ThreeStep,
)
from keras_taskadapt.training.views import AugmentedViews

__all__ = [
    "PHASES",
    "TRAINING_STRATEGIES",
    "AugmentedViews",
    "DuPHiL",
    "EndToEnd",
    "HierarchicalTraining",
    "JointLoss",
    "PhaseSchedule",
    "ThreeStep",
]
