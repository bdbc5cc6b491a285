"""Structured pruning: a smaller functional model without the removed channels (seed 000 section 3.3.1).

Section 3.3.1 ("Feature Map Pruning") scores every filter of a convolutional layer, or
every neuron of the bottleneck dense layer, by its discriminative power
(:mod:`~keras_taskadapt.hierarchical.pruning.discriminative_power`) on the training set and removes the
lowest-scoring ones. :func:`slice_channels` rebuilds the model from its config with fewer
``filters``/``units`` and copies the kept slices of every weight (kernels along their
input and output channel axes, biases, batch-normalisation parameters and statistics), so
the pruned model computes exactly what the original computes with the removed channels
deleted (:mod:`~keras_taskadapt.hierarchical.pruning.channel_groups` says which channels go together).
"""
import copy

import keras
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.pruning.channel_groups import CHANNEL_LAYERS, ChannelGroups


def highest_scoring(scores, count):
    """Sorted indices of the ``count`` highest ``scores`` (the channels pruning keeps)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not 1 <= count <= scores.size:
        raise TaskAdaptError(f"cannot keep {count} of {scores.size} channels (keep 1 to {scores.size})")
    return np.sort(np.argsort(-scores, kind="stable")[:count])


def prune_lowest(model, scores, keep_counts):
    """:func:`slice_channels` keeping the ``keep_counts[name]`` best of ``scores[name]`` per layer."""
    missing = sorted(set(keep_counts) - set(scores))
    if missing:
        raise TaskAdaptError(f"no scores for layers {missing}")
    return slice_channels(model, {name: highest_scoring(scores[name], count) for name, count in keep_counts.items()})


def slice_channels(model, keep, input_keep=None):
    """A rebuilt ``model`` keeping only the channels ``keep[layer_name]`` (indices) of each
    named layer's output group, and the input channels ``input_keep`` if given.

    A group that reaches the model output makes the output narrower (a truncated latent);
    ``input_keep`` narrows the input to match (the consumer of a truncated latent).
    """
    groups = ChannelGroups(model)
    kept = {}
    for name, indices in keep.items():
        group = groups.group_of(name)
        kept[group] = _checked_indices(indices, model.get_layer(name).output.shape[-1], name)
    if input_keep is not None:
        if len(model.inputs) != 1:
            raise TaskAdaptError("input_keep needs a model with one input")
        input_name = model.inputs[0]._keras_history.operation.name
        kept[groups.output_group[input_name]] = _checked_indices(input_keep, model.inputs[0].shape[-1], "input")
    config = copy.deepcopy(model.get_config())
    for layer_config in config["layers"]:
        layer_config.pop("build_config", None)
        group = groups.output_group[layer_config["name"]]
        if group not in kept:
            continue
        settings = layer_config["config"]
        if "batch_shape" in settings and not layer_config["inbound_nodes"]:  # an input
            settings["batch_shape"] = tuple(settings["batch_shape"][:-1]) + (kept[group].size,)
        elif isinstance(model.get_layer(layer_config["name"]), CHANNEL_LAYERS):
            settings["filters" if "filters" in settings else "units"] = int(kept[group].size)
    pruned = model.__class__.from_config(config)
    for layer in model.layers:
        inputs = kept.get(groups.input_group[layer.name])
        outputs = kept.get(groups.output_group[layer.name])
        target = pruned.get_layer(layer.name)
        values = [_sliced(layer, weight, inputs, outputs) for weight in layer.weights]
        for variable, value in zip(target.weights, values):
            if tuple(variable.shape) != value.shape:
                raise TaskAdaptError(f"cannot prune through layer {layer.name!r} ({type(layer).__name__})")
            variable.assign(value)
    return pruned


def _checked_indices(indices, size, name):
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer):
        raise TaskAdaptError(f"channels to keep of {name!r} must be a non-empty list of integers")
    if indices.min() < 0 or indices.max() >= size or np.unique(indices).size != indices.size:
        raise TaskAdaptError(f"channels to keep of {name!r} must be distinct indices in 0..{size - 1}")
    return np.sort(indices)


def _sliced(layer, weight, inputs, outputs):
    """The kept part of one weight of ``layer`` (channel axes by layer type)."""
    value = keras.ops.convert_to_numpy(weight)
    if isinstance(layer, keras.layers.BatchNormalization):
        return value if inputs is None else value[inputs]
    if not isinstance(layer, CHANNEL_LAYERS):
        return value
    if value.ndim == 1:  # bias
        return value if outputs is None else value[outputs]
    transposed = isinstance(layer, keras.layers.Conv2DTranspose)  # kernel (..., out, in)
    input_axis, output_axis = (-1, -2) if transposed else (-2, -1)
    if inputs is not None:
        value = np.take(value, inputs, axis=input_axis)
    if outputs is not None:
        value = np.take(value, outputs, axis=output_axis)
    return value
