"""Weakly-supervised few-shot learning with coarse-label LDR guidance (seed 000, chapter 4).

Episodes (:mod:`~keras_taskadapt.fewshot.episodes`) of a ``fewshot:PATH`` data set
(:mod:`~keras_taskadapt.fewshot.splits`), embedding backbones
(:mod:`~keras_taskadapt.fewshot.backbones`), the methods of :data:`METHODS` (ProtoNet, FEAT and
the pre-training classifier) with LDR guidance (:mod:`~keras_taskadapt.fewshot.classifier`),
coarse groupings (:mod:`~keras_taskadapt.fewshot.coarse`) and the evaluation protocol
(:mod:`~keras_taskadapt.fewshot.evaluation`).
"""

from keras_taskadapt.fewshot import feat, pretraining, protonet  # noqa: F401  each registers its method
from keras_taskadapt.fewshot.classifier import METHODS, FewShotClassifier

__all__ = ["METHODS", "FewShotClassifier"]
