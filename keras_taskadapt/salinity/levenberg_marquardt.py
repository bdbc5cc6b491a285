"""Levenberg-Marquardt training for the small STL networks (seed 000, section 5.3.1, STL-LM).

Damped Gauss-Newton on the sum of squared residuals ``r = y - f(x; w)`` over the whole
training set (one batch, one step per epoch), as in the CalSim ANNs the seed compares with:

    (J^T J + mu I) d = -J^T r,   J = dr/dw over the flattened trainable weights,

with the adaptive damping of MATLAB's ``trainlm`` and the seed's settings: mu starts at 0.005;
a step that lowers the loss is taken and mu divided by 10, otherwise mu is multiplied by 10
and the step retried, at most until mu passes ``max_mu``; 150 epochs.

The Jacobian is built sample by sample: ``GradientTape.jacobian`` of one sample's residuals
over the flattened weights, vectorized over the batch with ``tf.vectorized_map``. (One
``jacobian`` call over all N residuals at once would materialise N x N intermediate tensors.)
``J`` is ``(N * outputs, weights)``: fine for the 8-2-1 STL networks (about a thousand weights),
quadratic in memory and cubic in time in the weight count, so not meant for the MTL networks.
Missing (NaN) targets give zero residuals and zero Jacobian rows, so they count for nothing.
"""
import keras
import numpy as np
import tensorflow as tf

LM_EPOCHS = 150
"""Training length of the seed's LM runs (section 5.3.1)."""


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class LevenbergMarquardt(keras.Model):
    """Trains ``network`` by Levenberg-Marquardt in ``fit``; compile it with a loss (used for
    validation, e.g. ``masked_mse``) and fit with the whole training set as one batch.

    ``train_step`` logs ``loss`` (masked mean squared residual after the epoch's step) and
    ``mu``. Calling the model calls ``network``; save ``network`` for deployment.
    """

    def __init__(self, network, mu=0.005, factor=10.0, max_mu=1e10, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.initial_mu, self.factor, self.max_mu = float(mu), float(factor), float(max_mu)
        self.mu = keras.Variable(self.initial_mu, trainable=False, dtype="float64", name="mu")
        if network.built:
            self.build(network.input_shape)

    def build(self, input_shape):
        if not self.network.built:
            self.network.build(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    def _residuals(self, flat, inputs, target, present):
        """Masked residuals ``(samples, outputs)`` of the network with weights ``flat``."""
        variables = self.network.trainable_variables
        sizes = [int(np.prod(v.shape)) for v in variables]
        values = [tf.reshape(part, v.shape) for part, v in zip(tf.split(flat, sizes), variables)]
        fixed = [v.value for v in self.network.non_trainable_variables]
        outputs, _ = self.network.stateless_call(values, fixed, inputs)
        return (target - outputs) * present

    def _jacobian(self, flat, inputs, target, present):
        """``dr/dw`` ``(samples * outputs, weights)``, one sample at a time, vectorized."""
        def one_sample(sample):
            x, t, p = (value[None] for value in sample)
            with tf.GradientTape() as tape:
                tape.watch(flat)
                residuals = tf.reshape(self._residuals(flat, x, t, p), [-1])
            return tape.jacobian(residuals, flat)
        jacobian = tf.vectorized_map(one_sample, (inputs, target, present))
        return tf.reshape(jacobian, [-1, flat.shape[0]])

    def train_step(self, data):
        inputs, target, _ = keras.utils.unpack_x_y_sample_weight(data)
        target = tf.cast(target, self.compute_dtype)
        present = tf.cast(tf.logical_not(tf.math.is_nan(target)), target.dtype)
        target = tf.where(present > 0, target, 0.0)
        count = tf.maximum(tf.reduce_sum(present), 1.0)
        variables = self.network.trainable_variables
        flat = tf.concat([tf.reshape(v.value, [-1]) for v in variables], axis=0)

        def loss_at(weights):
            residuals = self._residuals(weights, inputs, target, present)
            return tf.reduce_sum(tf.square(residuals)) / count

        jacobian = self._jacobian(flat, inputs, target, present)
        residuals = tf.reshape(self._residuals(flat, inputs, target, present), [-1, 1])
        # float32 products (float64 ones cost twice the time per epoch), solved in float64.
        normal = tf.cast(tf.matmul(jacobian, jacobian, transpose_a=True), tf.float64)
        gradient = tf.cast(tf.matmul(jacobian, residuals, transpose_a=True), tf.float64)
        identity = tf.eye(flat.shape[0], dtype=tf.float64)
        loss = loss_at(flat)

        def untried(mu, accepted, weights, new_loss):
            return tf.logical_and(tf.logical_not(accepted), mu <= self.max_mu)

        def try_step(mu, accepted, weights, new_loss):
            step = tf.linalg.solve(normal + mu * identity, gradient)
            candidate = flat - tf.cast(tf.reshape(step, [-1]), flat.dtype)
            candidate_loss = loss_at(candidate)
            better = candidate_loss < loss
            return (tf.where(better, mu / self.factor, mu * self.factor), better,
                    tf.where(better, candidate, weights),
                    tf.where(better, candidate_loss, new_loss))

        mu, _, weights, new_loss = tf.while_loop(
            untried, try_step, (self.mu.value, tf.constant(False), flat, loss))
        self.mu.assign(mu)
        sizes = [int(np.prod(v.shape)) for v in variables]
        for variable, part in zip(variables, tf.split(weights, sizes)):
            variable.assign(tf.reshape(part, variable.shape))
        return {"loss": new_loss, "mu": mu}

    def get_config(self):
        return {"network": keras.saving.serialize_keras_object(self.network),
                "mu": self.initial_mu, "factor": self.factor, "max_mu": self.max_mu,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        network = keras.saving.deserialize_keras_object(config.pop("network"))
        return cls(network, **config)
