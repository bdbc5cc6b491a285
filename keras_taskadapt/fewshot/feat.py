"""FEAT: few-shot embedding adaptation with a set-to-set function (Ye et al. 2020, [29] of seed 000).

FEAT adapts the prototypes of ProtoNet to the episode before classifying: one-head scaled
dot-product attention over the set of prototypes, with dropout, an output projection, a
residual connection and layer normalisation (:class:`SetToSetAttention`, FEAT's
``MultiHeadAttention(1, d, d, d, dropout=0.5)``). In training it adds FEAT's auxiliary
(contrastive) regulariser, weighted by ``balance``: the same attention is applied to each
class's support and query embeddings together, their means are the adapted centres, and every
one of those embeddings is classified against the centres with temperature ``temperature2``
(FEAT's ``logits_reg``, ``loss + balance * CE(logits_reg)``).
"""

import math

import keras
from keras import ops

from keras_taskadapt.fewshot.classifier import METHODS, squared_distances
from keras_taskadapt.fewshot.protonet import ProtoNet


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class SetToSetAttention(keras.layers.Layer):
    """One-head self-attention over a set ``(B, n, d) -> (B, n, d)``, FEAT's set-to-set function.

    ``LayerNorm(x + Dropout(W_o softmax(x W_q (x W_k)^T / sqrt(d)) x W_v))`` with dropout
    ``attention_dropout`` on the attention weights and ``dropout`` on the output.
    """

    def __init__(self, dropout=0.5, attention_dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.dropout_rate, self.attention_dropout_rate = float(dropout), float(attention_dropout)
        self.dropout = keras.layers.Dropout(self.dropout_rate)
        self.attention_dropout = keras.layers.Dropout(self.attention_dropout_rate)
        self.norm = keras.layers.LayerNormalization(epsilon=1e-5)

    def build(self, input_shape):
        dimension = int(input_shape[-1])
        projection = keras.initializers.RandomNormal(stddev=math.sqrt(2.0 / (dimension + dimension)))
        self.query_kernel, self.key_kernel, self.value_kernel = (
            self.add_weight(name=name, shape=(dimension, dimension), initializer=projection)
            for name in ("query_kernel", "key_kernel", "value_kernel"))
        self.output_kernel = self.add_weight(name="output_kernel", shape=(dimension, dimension),
                                             initializer="glorot_normal")
        self.output_bias = self.add_weight(name="output_bias", shape=(dimension,), initializer="zeros")
        self.norm.build(input_shape)

    def call(self, x, training=False):
        scale = math.sqrt(x.shape[-1])
        attention = ops.softmax(ops.einsum("bnd,bmd->bnm", x @ self.query_kernel, x @ self.key_kernel) / scale, -1)
        attended = ops.einsum("bnm,bmd->bnd", self.attention_dropout(attention, training=training),
                              x @ self.value_kernel)
        projected = self.dropout(attended @ self.output_kernel + self.output_bias, training=training)
        return self.norm(projected + x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "dropout": self.dropout_rate, "attention_dropout": self.attention_dropout_rate}


@METHODS.register("feat", help="FEAT: prototypes adapted by a set-to-set attention, with its auxiliary regulariser")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class FEAT(ProtoNet):
    """ProtoNet on prototypes adapted by :class:`SetToSetAttention` (module docstring).

    Args (besides :class:`~keras_taskadapt.fewshot.classifier.FewShotClassifier`'s):
        balance: the weight of the auxiliary regulariser (FEAT's ``--balance``; 0 switches it off).
        temperature2: the temperature of its logits.
    """

    def __init__(self, backbone, balance=0.01, temperature2=64.0, **kwargs):
        super().__init__(backbone, **kwargs)
        self.balance, self.temperature2 = float(balance), float(temperature2)
        self.set_to_set = SetToSetAttention(name="set_to_set")
        self.set_to_set.build((None, None, backbone.output.shape[-1]))

    def prototypes(self, support, training=False):
        return self.set_to_set(super().prototypes(support), training=training)

    def regulariser(self, support, queries, training=False):
        if not self.balance:
            return ops.zeros(())
        layout = self.layout
        episodes, dimension = ops.shape(support)[0], support.shape[-1]
        by_class = ops.concatenate(
            [support, ops.reshape(queries, (episodes, layout.ways, layout.queries, dimension))], axis=2)
        members = layout.shots + layout.queries
        adapted = self.set_to_set(ops.reshape(by_class, (-1, members, dimension)), training=training)
        centres = ops.mean(ops.reshape(adapted, (episodes, layout.ways, members, dimension)), axis=2)
        instances = ops.reshape(by_class, (episodes, layout.ways * members, dimension))
        logits = -squared_distances(instances, centres) / self.temperature2
        targets = ops.tile(ops.repeat(ops.arange(layout.ways), members)[None], (episodes, 1))
        return self.balance * ops.mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))

    def get_config(self):
        return {**super().get_config(), "balance": self.balance, "temperature2": self.temperature2}
