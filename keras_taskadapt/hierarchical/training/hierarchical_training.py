"""Training phases of split models: one parameter group, one loss, one optimizer at a time.

Seed 000 sections 3.3.1-3.3.2 (seeds 001 and 002) train the parts of a
:class:`~keras_taskadapt.hierarchical.models.parts.HierarchicalParts` model in phases:

===============  =========================================  ==================================
phase            loss                                       trained parts (optimizer)
===============  =========================================  ==================================
``e2e``          cross-entropy (CE)                         encoder, decoder (``optimizer``)
``joint``        CE + lambda * LDR (the naive baseline)     encoder, decoder, side branch
``encoder``      LDR ``Rc - R`` on class labels, eq. (3.1)  encoder, side branch (DuPHiL
                                                            phase 1, ``optimizer``)
``encoder-ssl``  LDR on augmentation groups, eq. (3.7)      encoder, side branch
``decoder``      CE, encoder frozen (inference mode)        decoder (DuPHiL phase 2,
                                                            ``decoder_optimizer``)
``finetune``     CE at a smaller learning rate              encoder, decoder (three-step
                                                            step 3, ``finetune_optimizer``)
===============  =========================================  ==================================

Both losses read the latent as the channel delivers it in training, ``y + u`` with the
quantizer's noise ``u`` (section 3.3.1, "Zero Gradient"): the CE path runs
``decoder(quantizer(y))`` and the LDR codes are ``z = side_branch(quantizer(y))``. The LDR
normalises each ``z`` (eq. (3.2)) and so cannot see the scale of ``y``; on the noise-free
latent, phase 1 is free to shrink ``y`` until rounding maps nearly every entry to 0 (our
CIFAR-10 DuPHiL runs collapsed to 1.2 bits of total latent entropy and chance accuracy).
Through the noise, a shrinking ``y`` drowns its own class structure, so the LDR keeps ``y``
on the scale of the quantization step, the robustness to quantization error the section
asks of the encoder.

Batch sizes: the LDR needs large batches (the seed: 1000) while CE trains on smaller ones
(the seed: 200). A training batch is the LDR batch; the CE phases split it into slices of
``ce_batch_size`` and take one optimizer step per slice (that needs the static batch size
of ``drop_remainder=True`` pipelines; with an unknown batch size the batch is one step).
The joint phase takes one step on the whole batch. Under a ``tf.distribute`` strategy the
LDR is computed on the global batch (:class:`~keras_taskadapt.losses.CodingRateReduction`)
and every loss follows Keras' convention: local mean divided by the number of replicas,
gradients summed by ``apply_gradients``.

A strategy (:mod:`keras_taskadapt.hierarchical.training.strategies`) is a subclass that says which phase
each epoch runs (:meth:`HierarchicalTraining.phase_of_epoch`); :class:`PhaseSchedule` switches
the phase at the start of every epoch and retraces the training function.
"""
import keras
import tensorflow as tf
from keras import ops

from keras_taskadapt.core.distribute import replicas as _replicas
from keras_taskadapt.losses import MCR2_EPS, CodingRateReduction, augmentation_groups
from keras_taskadapt.phases import PhaseScheduledModel

#: phase -> (loss, trained parts, optimizer attribute)
PHASE_PLANS = {
    "e2e": ("ce", ("encoder", "decoder"), "optimizer"),
    "joint": ("joint", ("encoder", "decoder", "side_branch"), "optimizer"),
    "encoder": ("ldr", ("encoder", "side_branch"), "optimizer"),
    "encoder-ssl": ("ldr-ssl", ("encoder", "side_branch"), "optimizer"),
    "decoder": ("ce", ("decoder",), "decoder_optimizer"),
    "finetune": ("ce", ("encoder", "decoder"), "finetune_optimizer"),
}
PHASES = tuple(PHASE_PLANS)
#: Metrics each kind of phase updates and logs (``history.csv`` leaves the others' cells
#: empty in its epochs); :class:`~keras_taskadapt.phases.PhaseSchedule` logs the index of the
#: phase in :data:`PHASES` as ``phase``.
_LOGGED = {
    "ce": ("loss", "ce_loss", "accuracy"),
    "joint": ("loss", "ce_loss", "ldr_loss", "accuracy"),
    "ldr": ("loss", "ldr_loss"),
    "ldr-ssl": ("loss", "ldr_loss"),
}


class HierarchicalTraining(PhaseScheduledModel):
    """``decoder(quantizer(encoder(x)))`` trained phase by phase (module docstring).

    Args:
        encoder, decoder, side_branch, quantizer: the parts
            (:class:`~keras_taskadapt.hierarchical.models.parts.HierarchicalParts`);
            ``quantizer`` may be ``None`` (figure 3.1).
        ce_batch_size: the CE phases' batch size (``None``: the training batch).
        ldr_eps: precision ``eps`` of the LDR loss, eqs. (3.2)-(3.3).

    ``compile(optimizer=..., decoder_optimizer=..., finetune_optimizer=...)``: the strategy
    names the optimizers its phases need (``REQUIRED_OPTIMIZERS``).
    """

    PHASES = PHASES
    OPTIMIZERS = ("optimizer", "decoder_optimizer", "finetune_optimizer")

    def __init__(self, encoder, decoder, side_branch=None, quantizer=None, ce_batch_size=None, ldr_eps=MCR2_EPS,
                 **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.side_branch = side_branch
        self.quantizer = quantizer
        self.ce_batch_size = None if ce_batch_size is None else int(ce_batch_size)
        self.ldr_eps = float(ldr_eps)
        self.ldr_loss = CodingRateReduction(ldr_eps, num_classes=decoder.output.shape[-1])
        self.ssl_loss = CodingRateReduction(ldr_eps)  # any group ids
        self.ce_tracker = keras.metrics.Mean(name="ce_loss")
        self.ldr_tracker = keras.metrics.Mean(name="ldr_loss")
        self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        if quantizer is not None and not quantizer.built:
            quantizer.build(encoder.output.shape)
        self.built = True  # the parts are built: backups can be restored before the first batch

    def phase_of_epoch(self, epoch):
        """The phase (:data:`PHASES`) of 0-based ``epoch``; strategies override it."""
        return "e2e"

    def call(self, images, training=False):
        latent = self.encoder(images, training=training)
        if self.quantizer is not None:
            latent = self.quantizer(latent, training=training)
        return self.decoder(latent, training=training)

    def _optimizer_parts(self, name):
        parts = {part for kind, groups, optimizer in PHASE_PLANS.values() if optimizer == name for part in groups}
        return [part for part in ("encoder", "decoder", "side_branch") if part in parts]

    def _group_variables(self, parts):
        return [variable for part in parts if getattr(self, part) is not None
                for variable in getattr(self, part).trainable_variables]

    def optimizer_variables(self, name):
        return self._group_variables(self._optimizer_parts(name))

    def train_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        kind, parts, optimizer_name = PHASE_PLANS[self.phase]
        if "side_branch" in parts and self.side_branch is None:
            raise ValueError(f"the {self.phase!r} phase needs a side branch")
        variables = self._group_variables(parts)
        optimizer = getattr(self, optimizer_name)
        if kind == "ce":
            for image_slice, label_slice in self._ce_slices(images, labels):
                self._update(optimizer, variables, parts, self._ce_objective, image_slice, label_slice,
                             encoder_training="encoder" in parts)
        elif kind == "joint":
            self._update(optimizer, variables, parts, self._joint_objective, images, labels)
        else:
            self._update(optimizer, variables, parts, self._ldr_objective, images, labels,
                         self_supervised=kind == "ldr-ssl")
        logged = _LOGGED[kind]
        return {metric.name: metric.result() for metric in self._logged_metrics() if metric.name in logged}

    def _logged_metrics(self):
        return (self._loss_tracker, self.ce_tracker, self.ldr_tracker, self.accuracy_metric)

    @property
    def history_columns(self):
        """Columns of ``history.csv`` over all phases: every training metric, ``phase`` and
        the validation metrics of :meth:`test_step`."""
        names = sorted(metric.name for metric in self._logged_metrics())
        return names + ["phase", "val_accuracy", "val_loss"]

    def test_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        probabilities = self(images, training=False)
        cross_entropy = self._cross_entropy(labels, probabilities)
        self._loss_tracker.update_state(cross_entropy, sample_weight=ops.shape(labels)[0])
        self.accuracy_metric.update_state(labels, probabilities)
        return {"loss": self._loss_tracker.result(), "accuracy": self.accuracy_metric.result()}

    def _update(self, optimizer, variables, parts, objective, *args, **kwargs):
        """One optimizer step on ``objective(*args, **kwargs)`` plus the parts' weight decay."""
        with tf.GradientTape() as tape:
            loss, batch = objective(*args, **kwargs)  # per replica, Keras' convention
            regularization = [ops.sum(getattr(self, part).losses) for part in parts if getattr(self, part).losses]
            if regularization:
                loss = loss + ops.sum(ops.stack(regularization)) / _replicas()
            self._loss_tracker.update_state(loss * _replicas(), sample_weight=batch)
            scaled = optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    def _cross_entropy(self, labels, probabilities):
        return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, probabilities))

    def _transmitted(self, latent):
        """``quantizer(latent)`` with its training noise (the latent itself without a quantizer)."""
        return latent if self.quantizer is None else self.quantizer(latent, training=True)

    def _classify(self, transmitted, labels):
        """Tracked CE of ``decoder(transmitted)``: ``(CE, batch size)``."""
        probabilities = self.decoder(transmitted, training=True)
        cross_entropy = self._cross_entropy(labels, probabilities)
        batch = ops.shape(labels)[0]
        self.ce_tracker.update_state(cross_entropy, sample_weight=batch)
        self.accuracy_metric.update_state(labels, probabilities)
        return cross_entropy, batch

    def _rate_reduction(self, transmitted, labels, loss_function):
        """Tracked LDR ``Rc - R`` of the side-branch codes of ``transmitted`` (global batch, / replicas)."""
        ldr = loss_function(labels, self.side_branch(transmitted, training=True))
        self.ldr_tracker.update_state(ldr * _replicas())
        return ldr

    def _ce_objective(self, images, labels, encoder_training):
        latent = self.encoder(images, training=encoder_training)
        cross_entropy, batch = self._classify(self._transmitted(latent), labels)
        return cross_entropy / _replicas(), batch

    def _ldr_objective(self, images, labels, self_supervised=False):
        loss_function = self.ldr_loss
        if self_supervised:
            labels = augmentation_groups(ops.shape(images)[0], self.views.n_views)
            images = self.views(images)
            loss_function = self.ssl_loss
        transmitted = self._transmitted(self.encoder(images, training=True))
        return self._rate_reduction(transmitted, labels, loss_function), 1

    def _joint_objective(self, images, labels):
        transmitted = self._transmitted(self.encoder(images, training=True))
        ldr = self._rate_reduction(transmitted, labels, self.ldr_loss)
        cross_entropy, batch = self._classify(transmitted, labels)
        return cross_entropy / _replicas() + self.lam * ldr, batch

    def _ce_slices(self, images, labels):
        """Slices of ``ce_batch_size`` (per replica) of a batch with a static size."""
        size = images.shape[0]
        if self.ce_batch_size is None or size is None:
            return [(images, labels)]
        step = max(1, self.ce_batch_size // _replicas())
        return [(images[start:start + step], labels[start:start + step]) for start in range(0, size, step)]

    def get_config(self):
        return {
            **super().get_config(),
            **{part: keras.saving.serialize_keras_object(getattr(self, part))
               for part in ("encoder", "decoder", "side_branch", "quantizer")},
            "ce_batch_size": self.ce_batch_size,
            "ldr_eps": self.ldr_eps,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder", "side_branch", "quantizer"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)
