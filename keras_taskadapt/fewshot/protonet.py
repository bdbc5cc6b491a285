"""Prototypical networks (Snell et al. 2017; the ProtoNet of seed 000 section 4.3, fig. 4.1).

A class's prototype is the mean embedding of its support images; a query's logit for a
class is its negative squared Euclidean distance to the prototype over a temperature,
``-||z_q - c_k||^2 / T``, so the soft-max of eq. (4.2) is a soft nearest-prototype rule.
"""

import keras
from keras import ops

from keras_taskadapt.fewshot.classifier import METHODS, FewShotClassifier, squared_distances


@METHODS.register("protonet", help="ProtoNet: squared Euclidean distance to the class prototypes")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class ProtoNet(FewShotClassifier):
    """Logits ``-||q - mean(support of k)||^2 / temperature`` (module docstring)."""

    def prototypes(self, support, training=False):
        """``(B, ways, D)``: the mean of each class's support embeddings."""
        return ops.mean(support, axis=2)

    def episode_logits(self, support, queries, training=False):
        return -squared_distances(queries, self.prototypes(support, training)) / self.temperature
