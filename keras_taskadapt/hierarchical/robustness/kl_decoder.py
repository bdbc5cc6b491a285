"""A new decoder trained with Kullback-Leibler divergence on a frozen encoder (seed 000
section 3.4.1, "Compatibility with Decoder Re-Training", table 3.4; seed 002 section 4.3).

The seed freezes an encoder trained by CE or DuPHiL and trains "a Decoder of the same
architecture as in Fig. 3.3 but optimized with KL-D loss" from scratch. KL-D is taken between
the target distribution of each image, its one-hot label smoothed by ``label_smoothing``
(``(1 - a) onehot + a / K``), and the decoder's softmax output. With one-hot targets
(``a = 0``, the default: the seed names no other target) ``KL(t || p) = CE(t, p)``, which is
why table 3.4's KL-D and CE rows agree to 0.1 %.

The decoder trains as in DuPHiL phase 2: the ``decoder`` phase of
:class:`~keras_taskadapt.hierarchical.training.HierarchicalTraining`, encoder in inference mode and
untouched, decoder on the noisy latent ``y + u``, optimizer ``decoder_optimizer``.
"""
import keras
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.training import HierarchicalTraining


def fresh_decoder(decoder):
    """``decoder``'s architecture with newly initialised weights ("from scratch")."""
    return keras.models.clone_model(decoder)


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class KLDecoderRetraining(HierarchicalTraining):
    """Only the decoder trains, on ``KL(smoothed one-hot || softmax)`` (module docstring).

    Args:
        label_smoothing: ``a`` of the targets ``(1 - a) onehot + a / K``, in [0, 1).

    ``compile(decoder_optimizer=...)`` sets the decoder's optimizer.
    """

    REQUIRED_OPTIMIZERS = ("optimizer", "decoder_optimizer")

    def __init__(self, encoder, decoder, side_branch=None, quantizer=None, label_smoothing=0.0, **kwargs):
        if not 0.0 <= label_smoothing < 1.0:
            raise TaskAdaptError(f"the label smoothing of the KL-D targets must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        super().__init__(encoder, decoder, side_branch, quantizer, **kwargs)

    def phase_of_epoch(self, epoch):
        return "decoder"

    def _cross_entropy(self, labels, probabilities):
        """The KL-D loss in place of CE (training and ``val_loss``)."""
        classes = probabilities.shape[-1]
        targets = ops.one_hot(ops.reshape(ops.cast(labels, "int32"), (-1,)), classes, dtype=probabilities.dtype)
        targets = targets * (1.0 - self.label_smoothing) + self.label_smoothing / classes
        return ops.mean(keras.losses.kl_divergence(targets, probabilities))

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
