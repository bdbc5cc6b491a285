"""The latent quantizer between sensor and server (seed 000 section 3.3.1 and eq. (3.8)).

The encoder's latent ``y`` is rounded to integer symbols ``y_hat = round(y / q)`` before
transmission, ``q`` the per-entry quantization step (all ones as trained, eq. (3.8)'s
entropy-scaled steps ``q_i = s H(y_i)`` for rate control); the server receives
``q * y_hat``. Rounding has zero derivative almost everywhere, so training replaces it by
additive uniform noise (Balle et al., 2017): ``y + q u`` with ``u ~ U(-a, a)``. The seed
takes ``a = 1`` instead of Balle's ``1/2`` ("Zero Gradient", section 3.3.1) because the LDR
loss pulls ``y`` towards zero, where the quantization error weighs more.
"""
import numbers

import keras
import numpy as np
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError

#: Half-width of the training noise of section 3.3.1.
SEED_NOISE = 1.0


def quantize_latent(latent, step_sizes):
    """Integer symbols ``round(y / q)`` of eq. (3.8) (round half to even), as floats."""
    return ops.round(latent / step_sizes)


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class LatentQuantizer(keras.layers.Layer):
    """Rounding quantizer with per-entry steps; uniform noise in training (section 3.3.1).

    ``call(y, training)``: ``q * round(y / q)`` at inference, ``y + q u`` with
    ``u ~ U(-noise, noise)`` in training. ``step_sizes`` (``q``, one per latent entry, last
    axis) is a non-trainable weight, ones when built, saved with the model; set it with
    :meth:`set_step_sizes` (e.g. :func:`~keras_taskadapt.hierarchical.latent.entropy_scaled_steps`).
    :meth:`to_symbols` gives the symbols the sensor transmits, :meth:`from_symbols` what the
    server feeds its decoder.

    Args:
        noise: half-width ``a`` of the training noise (the seed's 1).
        seed: seed of the noise.
    """

    def __init__(self, noise=SEED_NOISE, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or noise < 0:
            raise TaskAdaptError(f"the quantizer noise must be a number >= 0, got {noise!r}")
        self.noise = float(noise)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise TaskAdaptError(f"the latent needs a known last dimension, got shape {tuple(input_shape)}")
        self.step_sizes = self.add_weight(name="step_sizes", shape=(input_shape[-1],), initializer="ones",
                                          trainable=False)

    def call(self, latent, training=False):
        if training:
            return latent + self.training_noise(latent) * self.step_sizes
        return self.from_symbols(self.to_symbols(latent))

    def training_noise(self, latent):
        """``u ~ U(-a, a)`` of ``latent``'s shape. Under a ``tf.distribute`` strategy with ``R``
        replicas the noise of the global batch (``R`` times the rows) is drawn and each replica
        takes its rows, so the replicas together add the noise one device adds to the global batch."""
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        if replicas == 1:
            return keras.random.uniform(ops.shape(latent), -self.noise, self.noise, dtype=latent.dtype,
                                        seed=self.seed_generator)
        rows = ops.shape(latent)[0]
        noise = keras.random.uniform((rows * replicas,) + tuple(latent.shape[1:]), -self.noise, self.noise,
                                     dtype=latent.dtype, seed=self.seed_generator)
        start = ops.cast(context.replica_id_in_sync_group, "int32") * rows
        return ops.slice(noise, (start,) + (0,) * (len(latent.shape) - 1), ops.shape(latent))

    def to_symbols(self, latent):
        """The transmitted symbols ``round(y / q)`` (float tensor of integers)."""
        return quantize_latent(latent, self.step_sizes)

    def from_symbols(self, symbols):
        """The decoder input ``q * y_hat`` of received symbols."""
        return ops.cast(symbols, self.compute_dtype) * self.step_sizes

    def set_step_sizes(self, step_sizes):
        """Use the steps ``q`` (one positive number per latent entry) from now on."""
        values = np.asarray(ops.convert_to_numpy(step_sizes), dtype="float64")
        if values.shape != tuple(self.step_sizes.shape) or not (np.isfinite(values) & (values > 0)).all():
            raise TaskAdaptError(f"step sizes must be {tuple(self.step_sizes.shape)} finite positive numbers, "
                                 f"got shape {values.shape}")
        self.step_sizes.assign(values.astype(self.step_sizes.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "noise": self.noise, "seed": self.seed}
