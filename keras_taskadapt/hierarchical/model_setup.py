"""The model a hierarchical run trains: its architecture, its strategy, and where it starts
(seed 000 sections 3.3-3.4, figures 3.1 and 3.3).

:class:`ArchitectureConfig` builds the parts of figure 3.3 (the split auto-encoder) or 3.1
(the wavelet-domain classifier); :func:`initial_parts` starts from them or from a trained
model (``init``), optionally truncated to fewer latent entries (section 3.3.2);
:class:`StrategyConfig` wraps the parts in a training strategy
(:data:`~keras_taskadapt.hierarchical.training.STRATEGIES`) or the KL-D decoder re-training of
section 3.4.1 and compiles it; :func:`svm_decoder_model` puts a linear SVM in the decoder's
place. :func:`load_hierarchical` reads a saved model back.
"""

from dataclasses import dataclass
from typing import Optional

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.settings import OptionSettings

ARCHITECTURES = ("split-ae", "classifier")
DECODER_RETRAINS = ("kl", "svm")


def load_hierarchical(path):
    """The :class:`~keras_taskadapt.hierarchical.training.HierarchicalTraining` model saved at ``path``."""
    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.hierarchical.training import HierarchicalTraining

    return load_model(path, HierarchicalTraining, "a hierarchical model (written by train hierarchical)")


def architecture_of(model):
    """``classifier`` (figure 3.1: no quantizer) or ``split-ae`` (figure 3.3)."""
    return "classifier" if model.quantizer is None else "split-ae"


@dataclass
class ArchitectureConfig(OptionSettings):
    """The parts of a new model (their meaning: ``keras-taskadapt train hierarchical --help``)."""

    architecture: str = "split-ae"
    depth: int = 18
    width: float = 0.25
    latent_dim: int = 64
    hidden_units: Optional[int] = None
    side_dim: int = 128
    wavelet: str = "bior4.4"
    weight_decay: float = 1e-4
    seed: Optional[int] = 0

    @classmethod
    def from_options(cls, options, **overrides):
        """The settings among ``options``; no ``architecture`` (an ``--init`` model's by default) is ``split-ae``."""
        architecture = getattr(options, "architecture", None) or "split-ae"
        return super().from_options(options, **{"architecture": architecture, **overrides})

    def build(self, num_classes, input_shape):
        """The :class:`~keras_taskadapt.hierarchical.models.parts.HierarchicalParts` of ``architecture``."""
        from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder
        from keras_taskadapt.hierarchical.models.wavelet_resnet import wavelet_resnet_classifier

        if self.architecture not in ARCHITECTURES:
            raise TaskAdaptError(f"architecture must be one of {ARCHITECTURES}. Received: "
                                 f"architecture={self.architecture!r}", parameter="architecture")
        common = {"depth": self.depth, "width": self.width, "side_dim": self.side_dim, "wavelet": self.wavelet,
                  "weight_decay": self.weight_decay}
        if self.architecture == "classifier":
            return wavelet_resnet_classifier(num_classes, input_shape, **common)
        return split_autoencoder(num_classes, input_shape, latent_dim=self.latent_dim, hidden_units=self.hidden_units,
                                 seed=self.seed, **common)


def check_model_data(model, name, input_shape, num_classes=None, *, parameter=None):
    """The hierarchical ``model`` must take the data's images of ``input_shape`` and, when
    ``num_classes`` is given, have as many classes.

    ``name`` names the model in the message (its path, "the initial model"); ``parameter`` is
    the one to blame (default: ``image_size`` for the images, ``dataset`` for the classes).
    """
    shape = tuple(model.encoder.input.shape[1:])
    if tuple(input_shape) != shape:
        raise TaskAdaptError(f"{name} takes images of {shape}, the data has {tuple(input_shape)} (resize them)",
                             parameter=parameter or "image_size")
    classes = model.decoder.output.shape[-1]
    if num_classes is not None and classes != num_classes:
        raise TaskAdaptError(f"{name} has {classes} classes, the data {num_classes}", parameter=parameter or "dataset")


def initial_parts(architecture, num_classes, input_shape, *, init=None, truncate_to=None, truncate_by="last",
                  plain_train=None, truncation_examples=None):
    """The parts to train: built anew by ``architecture`` (an :class:`ArchitectureConfig`), or
    those of the trained model ``init`` (:func:`load_hierarchical`); with ``truncate_to``,
    truncated to that many latent entries (section 3.3.2): the last ones removed, or the least
    discriminative (eq. (3.6)) on the first ``truncation_examples`` images of the training
    batches ``plain_train`` (``truncate_by="discriminative"``)."""
    from keras_taskadapt.hierarchical.latent import entries_to_keep, truncate_latent
    from keras_taskadapt.hierarchical.latents import collect_latents
    from keras_taskadapt.hierarchical.models.parts import HierarchicalParts

    if init is None:
        parts = architecture.build(num_classes, input_shape)
    else:
        check_model_data(init, "the initial model", input_shape, num_classes, parameter="init")
        parts = HierarchicalParts(init.encoder, init.decoder, init.side_branch, init.quantizer)
    if truncate_to is None:
        return parts
    latents, labels = None, None
    if truncate_by == "discriminative":
        latents, labels = collect_latents(parts.encoder, plain_train, truncation_examples)
    keep = entries_to_keep(truncate_by, truncate_to, parts.encoder.output.shape[-1], latents, labels, num_classes)
    return truncate_latent(parts, keep)


@dataclass
class StrategyConfig(OptionSettings):
    """How the parts train (their meaning: ``keras-taskadapt train hierarchical --help``)."""

    training: Optional[str] = "e2e"
    decoder_retrain: Optional[str] = None
    batch_size: int = 128
    ldr_eps: Optional[float] = None
    lam: float = 1.0
    learning_rate: float = 1e-3
    decoder_learning_rate: float = 1e-3
    finetune_learning_rate: float = 1e-4
    step_epochs: tuple = (2, 2, 1)
    views: int = 4
    seed: int = 0
    kl_label_smoothing: float = 0.0
    svm_c: float = 1.0

    def check(self):
        if self.decoder_retrain is not None:
            if self.decoder_retrain not in DECODER_RETRAINS:
                raise TaskAdaptError(f"decoder_retrain must be one of {DECODER_RETRAINS}. Received: "
                                     f"decoder_retrain={self.decoder_retrain!r}", parameter="decoder_retrain")
            if self.training is not None:
                raise TaskAdaptError("decoder re-training replaces the training strategy: give one of them",
                                     parameter="decoder_retrain")
        elif self.training is None:
            self.training = "e2e"

    @property
    def label(self):
        """The run's ``training`` in metrics.json: the strategy, or ``kl-decoder`` / ``svm-decoder``."""
        return self.training or f"{self.decoder_retrain}-decoder"

    def epochs(self, model, epochs):
        """Keras epochs of the run: the three steps' sum for three-step training, else ``epochs``."""
        return model.total_epochs if self.training == "three-step" else epochs

    def build(self, parts):
        """The strategy model (or the KL-D decoder re-training) around ``parts``, compiled with
        Adam for every group."""
        import keras

        from keras_taskadapt.hierarchical.robustness import KLDecoderRetraining, fresh_decoder
        from keras_taskadapt.hierarchical.training import STRATEGIES
        from keras_taskadapt.losses import MCR2_EPS

        options = {"ce_batch_size": self.batch_size, "ldr_eps": MCR2_EPS if self.ldr_eps is None else self.ldr_eps}
        if self.decoder_retrain == "kl":
            model = KLDecoderRetraining(parts.encoder, fresh_decoder(parts.decoder), parts.side_branch,
                                        parts.quantizer, label_smoothing=self.kl_label_smoothing, name="kl_decoder",
                                        **options)
        else:
            if self.training == "joint":
                options["lam"] = self.lam
            if self.training == "three-step":
                options.update(step_epochs=tuple(self.step_epochs), n_views=self.views, view_seed=self.seed)
            model = STRATEGIES[self.training](*parts, name=self.training.replace("-", "_"), **options)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      decoder_optimizer=keras.optimizers.Adam(self.decoder_learning_rate),
                      finetune_optimizer=keras.optimizers.Adam(self.finetune_learning_rate))
        return model

    def svm_decoder_model(self, parts, train_latents, train_labels, num_classes):
        """``parts`` with a linear SVM as decoder, fitted on the quantized training latents and
        their labels, compiled."""
        import keras

        from keras_taskadapt.hierarchical.robustness import linear_svm_decoder
        from keras_taskadapt.hierarchical.training import EndToEnd

        received = keras.ops.convert_to_numpy(parts.quantizer(train_latents))
        decoder = linear_svm_decoder(received, train_labels, num_classes, c=self.svm_c, seed=self.seed)
        model = EndToEnd(parts.encoder, decoder, parts.side_branch, parts.quantizer, name="svm_decoder")
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate))
        return model
