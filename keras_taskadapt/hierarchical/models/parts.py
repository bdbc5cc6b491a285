"""The parts a hierarchically trained model is made of (seed 000 figures 3.1 and 3.3)."""
from typing import NamedTuple

import keras


class HierarchicalParts(NamedTuple):
    """Sub-models of a hierarchically trained network.

    ``encoder``: the sensor side (pixels -> feature map or latent ``y``), trained by the LDR
    loss in DuPHiL phase 1; ``decoder``: the server side (its input -> softmax
    probabilities), trained by cross-entropy in phase 2; ``side_branch``: training-only codes
    ``z`` for the LDR loss, on the encoder output; ``quantizer``: the layer between encoder
    and decoder (:class:`~keras_taskadapt.hierarchical.latent.LatentQuantizer`), ``None`` where the
    encoder output goes to the decoder as it is (figure 3.1).
    """

    encoder: keras.Model
    decoder: keras.Model
    side_branch: keras.Model
    quantizer: keras.layers.Layer = None

    def deployed_models(self):
        """The sub-models that run after training (encoder and decoder; no side branch)."""
        return (self.encoder, self.decoder)
