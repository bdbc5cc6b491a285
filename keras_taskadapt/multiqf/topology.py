"""The compressed-input CNN topology (seed 004, section 3.4.2 and figure 3.5).

Every input version of an image (the original and its JPEGs, :mod:`~keras_taskadapt.multiqf.versions`)
goes through the SAME base network up to its feature vector (the input of its classifier);
the versions' features are concatenated and a new softmax head decides. The branches share
one set of weights because there is one trunk: the versions are folded into the batch
(``B x V`` images), run through the trunk once, and unfolded into ``B x (V * F)``, so the
model has one variable per kernel whatever the number of inputs, and a gradient step updates
that one copy with the sum of every branch's gradient (section 3.4.2's "backward pass to one
branch").

:func:`topology_from_cache` is the same model above a block's input: it takes the cached
activations at that point (:mod:`~keras_taskadapt.multiqf.bottleneck_cache`) and shares the
layers above it and the head with the full topology, so training it trains the topology.
"""

import keras
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.multiqf.blocks import feature_layer_index

TRUNK, HEAD = "trunk", "head"


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class FoldVersions(keras.layers.Layer):
    """``(B, V, ...) -> (B * V, ...)``: the versions of each image as consecutive batch rows."""

    def call(self, inputs):
        return keras.ops.reshape(inputs, (-1, *inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] * input_shape[1]
        return (batch, *input_shape[2:])


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class ConcatVersions(keras.layers.Layer):
    """``(B * V, F) -> (B, V * F)``: each image's branch features side by side, versions in order."""

    def __init__(self, versions, **kwargs):
        super().__init__(**kwargs)
        self.versions = int(versions)

    def call(self, inputs):
        return keras.ops.reshape(inputs, (-1, self.versions * inputs.shape[-1]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.versions
        return (batch, self.versions * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "versions": self.versions}


HEAD_INITS = ("random", "base")


def multi_quality_topology(base, versions, *, seed=0, head_init="random", name="multiqf"):
    """The topology of the module docstring on ``base`` (a functional classifier, see
    :mod:`~keras_taskadapt.multiqf.blocks`) for ``versions`` inputs per image.

    ``head_init``: ``random`` (seeded), as the seed's first training run; or ``base``: the
    base's own classifier on the original's features and zeros on the versions', so the
    topology starts as the base exactly and training can only add what the versions carry.
    """
    features = base.layers[feature_layer_index(base)].output
    trunk = keras.Model(base.inputs, features, name=TRUNK)
    classifier = base.layers[-1]
    inputs = keras.Input((versions, *base.input_shape[1:]), name="versions")
    joined = ConcatVersions(versions, name="concat")(trunk(FoldVersions(name="fold")(inputs)))
    head = keras.layers.Dense(classifier.units, activation="softmax", name=HEAD,
                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
    topology = keras.Model(inputs, head(joined), name=name)
    if head_init == "base":
        kernel = np.zeros(head.kernel.shape, "float32")
        kernel[:classifier.kernel.shape[0]] = classifier.kernel.numpy()  # the original is version 0
        head.set_weights([kernel, classifier.bias.numpy()])
    elif head_init != "random":
        raise TaskAdaptError(f"head_init must be one of {HEAD_INITS}. Received: head_init={head_init!r}",
                             parameter="head_init")
    return topology


def topology_versions(topology):
    """How many input versions ``topology`` takes."""
    return int(topology.input_shape[1])


def trunk_of(topology):
    return topology.get_layer(TRUNK)


def trunk_below(topology, end):
    """The shared trunk from the image to the output of layer ``end`` (what the cache stores)."""
    trunk = trunk_of(topology)
    return keras.Model(trunk.inputs, trunk.get_layer(end).output, name="below")


def topology_from_cache(topology, end):
    """The topology above the output of trunk layer ``end`` (module docstring): input
    ``(B, V, *activation shape)``, the same layers and head as ``topology``."""
    trunk = trunk_of(topology)
    above = keras.Model(trunk.get_layer(end).output, trunk.output, name="above")
    versions = topology_versions(topology)
    inputs = keras.Input((versions, *above.input_shape[1:]), name="bottlenecks")
    joined = topology.get_layer("concat")(above(FoldVersions(name="fold_cached")(inputs)))
    return keras.Model(inputs, topology.get_layer(HEAD)(joined), name=f"{topology.name}_from_cache")
