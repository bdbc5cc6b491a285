"""Screening and pruning a hierarchical model by discriminative power (seed 000 sections 3.2.6,
3.3.1, 3.4.1, table 3.1).

The scored layers of a model (:func:`channel_layers`) are those that create channels
(convolutions, transposed convolutions, dense layers) of the encoder and then of the decoder,
the decoder's softmax classifier left out; the decoder sees the quantized latent, as deployed.
Every filter or neuron gets Fisher's ``D = trace(S_w^-1 S_b)`` of eqs. (3.4)-(3.6)
(:func:`discriminative_power`). Pruning (:func:`pruned_groups`, :func:`kept_channels`,
:func:`prune_model`) keeps the highest-scoring channels of the selected layers and rebuilds a
smaller model; the channels a residual shortcut ties together are one unit (a channel of such
a group scores the highest ``D`` it has in the layers that write it), and pruning the
encoder's output narrows the latent, the quantizer, the decoder input and the side branch with it.
"""

import fnmatch

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import write_csv

#: Kinds of scored layers in the csv, by Keras class name.
LAYER_KINDS = {"Conv2D": "conv", "Conv2DTranspose": "transposed conv", "Dense": "dense"}


def channel_layers(model):
    """``{part: [names]}`` of the scored layers of the encoder and the decoder (module docstring)."""
    from keras_taskadapt.hierarchical.pruning.channel_groups import CHANNEL_LAYERS

    classifier = model.decoder.outputs[0]._keras_history.operation.name
    return {part: [layer.name for layer in getattr(model, part).layers
                   if isinstance(layer, CHANNEL_LAYERS) and layer.name != classifier]
            for part in ("encoder", "decoder")}


def discriminative_power(model, batches, num_classes):
    """``{layer: D of its channels}`` of the scored layers over ``batches`` of (images, labels):
    the encoder's on the images, the decoder's on the deployed (quantized) latents."""
    from keras_taskadapt.hierarchical.pruning.discriminative_power import layer_discriminative_power

    def server_inputs():
        for images, labels in batches:
            latent = model.encoder(images, training=False)
            yield (latent if model.quantizer is None else model.quantizer(latent, training=False)), labels

    names = channel_layers(model)
    scores = layer_discriminative_power(model.encoder, names["encoder"], batches, num_classes)
    scores.update(layer_discriminative_power(model.decoder, names["decoder"], server_inputs(), num_classes))
    return scores


def power_rows(label, model, scores):
    """Rows of ``discriminative_power.csv`` for one model (``model, index, part, layer, kind,
    filters, best, mean``)."""
    part_of = {name: part for part, names in channel_layers(model).items() for name in names}
    rows = []
    for index, (name, values) in enumerate(scores.items(), start=1):
        layer = getattr(model, part_of[name]).get_layer(name)
        rows.append({"model": label, "index": index, "part": part_of[name], "layer": name,
                     "kind": LAYER_KINDS.get(type(layer).__name__, type(layer).__name__), "filters": len(values),
                     "best": float(np.max(values)), "mean": float(np.mean(values))})
    return rows


def write_power(csv_path, png_path, curves, models, split):
    """``discriminative_power.csv`` and ``best_filter_power.png`` (figures 3.2/3.5) of ``curves``
    (``{label: scores}``) of ``models`` (``{label: model}``)."""
    from keras_taskadapt.hierarchical.pruning.discriminative_power import plot_best_filter_power

    write_csv(csv_path, [row for label, scores in curves.items() for row in power_rows(label, models[label], scores)])
    plot_best_filter_power(curves, png_path, title=f"best filter's discriminative power ({split} split)")


def first_examples(batches, limit, batch_size):
    """``batches`` cut to the first ``limit`` examples (all when ``limit`` is ``None``)."""
    return batches if limit is None else batches.unbatch().take(limit).batch(batch_size)


def parse_keep(entries):
    """``{layer: count}`` of ``LAYER=COUNT`` entries."""
    counts = {}
    for entry in entries:
        name, _, number = entry.partition("=")
        if not name or not number.isdigit() or int(number) < 1:
            raise TaskAdaptError(f"takes LAYER=COUNT with a count >= 1. Received: {entry!r}", parameter="keep")
        counts[name] = int(number)
    return counts


def pruned_groups(model, keep_fraction, keep_counts, patterns=None):
    """The channel groups to prune, checked before any scoring: ``[(part, layers, count)]``.

    A group (its layers in model order) is pruned to ``count`` channels when ``keep_counts``
    names one of its layers (that count) or, with a ``keep_fraction``, when one of its
    layers matches ``patterns`` (default: the encoder's layers); groups tied to a fixed
    layer are left alone unless named.
    """
    from keras_taskadapt.hierarchical.pruning.channel_groups import ChannelGroups

    if keep_fraction is None and not keep_counts:
        raise TaskAdaptError("say what to keep: a fraction of every selected layer and/or counts of named layers",
                             parameter="keep_fraction")
    if keep_fraction is not None and not 0 < keep_fraction <= 1:
        raise TaskAdaptError(f"must lie in (0, 1]. Received: keep_fraction={keep_fraction}", parameter="keep_fraction")
    names = channel_layers(model)
    unknown = sorted(set(keep_counts) - {name for part_names in names.values() for name in part_names})
    if unknown:
        raise TaskAdaptError(f"names no convolution or dense layer of the model: {unknown} "
                             f"(layers: {', '.join(names['encoder'] + names['decoder'])})", parameter="keep")
    selected = []
    for part, part_names in names.items():
        groups = ChannelGroups(getattr(model, part))
        members = {}
        for name in part_names:
            if name in keep_counts:
                groups.group_of(name)  # a TaskAdaptError if the group cannot be pruned
            members.setdefault(groups.output_group[name], []).append(name)
        for group, layers in members.items():
            counts = {keep_counts[name] for name in layers if name in keep_counts}
            size = getattr(model, part).get_layer(layers[0]).output.shape[-1]
            matched = any(fnmatch.fnmatchcase(name, pattern) for name in layers for pattern in patterns) \
                if patterns is not None else part == "encoder"
            if len(counts) > 1:
                raise TaskAdaptError(f"layers {layers} share their channels (a residual shortcut); give one count",
                                     parameter="keep")
            if counts:
                count = counts.pop()
                if count > size:
                    raise TaskAdaptError(f"cannot keep {count} of the {size} channels of {'+'.join(layers)}",
                                         parameter="keep")
            elif keep_fraction is not None and matched and group in groups.prunable:
                count = max(1, round(keep_fraction * size))
            else:
                continue
            selected.append((part, layers, count))
    if not selected:
        raise TaskAdaptError("the selected layers hold no prunable channels", parameter="layers")
    return selected


def kept_channels(selected, scores):
    """``{part: {layer: indices}}``: the ``count`` highest-scoring channels of every group of
    ``selected`` (named by its first layer), and the rows of ``pruned_layers.csv``."""
    from keras_taskadapt.hierarchical.pruning.structured import highest_scoring

    plan, rows = {"encoder": {}, "decoder": {}}, []
    for part, layers, count in selected:
        channel_scores = np.max([scores[name] for name in layers], axis=0)
        kept = highest_scoring(channel_scores, count)
        plan[part][layers[0]] = kept
        rows.append({"part": part, "layers": "+".join(layers), "channels_before": channel_scores.size,
                     "channels_after": count, "best": float(channel_scores.max()),
                     "lowest_kept": float(channel_scores[kept].min())})
    return plan, rows


def prune_model(model, plan):
    """The :class:`~keras_taskadapt.hierarchical.models.parts.HierarchicalParts` of ``model``
    without the channels ``plan`` leaves out (the encoder output through ``truncate_latent``)."""
    from keras_taskadapt.hierarchical.latent import truncate_latent
    from keras_taskadapt.hierarchical.models.parts import HierarchicalParts
    from keras_taskadapt.hierarchical.pruning.channel_groups import ChannelGroups
    from keras_taskadapt.hierarchical.pruning.structured import slice_channels

    groups = ChannelGroups(model.encoder)
    output_group = groups.output_group[model.encoder.outputs[0]._keras_history.operation.name]
    inner = {name: kept for name, kept in plan["encoder"].items() if groups.output_group[name] != output_group}
    latent = [kept for name, kept in plan["encoder"].items() if groups.output_group[name] == output_group]
    parts = HierarchicalParts(slice_channels(model.encoder, inner), slice_channels(model.decoder, plan["decoder"]),
                              model.side_branch, model.quantizer)
    return truncate_latent(parts, latent[0] if latent else np.arange(model.encoder.output.shape[-1]))


def table_rows(label, before, pruned_accuracy, after):
    """Table 3.1's rows: the baseline, and the pruned model before and after fine-tuning,
    with changes against the baseline (parameters and FLOPs in %, accuracy as a difference of fractions)."""
    def row(model, accuracy, counts):
        return {"model": model, "params": counts["params"],
                "params_change_pct": 100.0 * (counts["params"] / before["params"] - 1.0),
                "accuracy": accuracy, "accuracy_change": accuracy - before["accuracy"], "flops": counts["flops"],
                "flops_change_pct": 100.0 * (counts["flops"] / before["flops"] - 1.0)}

    return [row(f"{label} (baseline)", before["accuracy"], before), row(f"{label} pruned", pruned_accuracy, after),
            row(f"{label} pruned + CE fine-tuning", after["accuracy"], after)]
