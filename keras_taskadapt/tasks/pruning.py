"""``discriminative-power`` and ``prune``: LDA screening of hierarchical models (seed 000 sections 3.2.6, 3.3.1, 3.4.1).

Both work on a ``model.keras`` written by ``train hierarchical`` (the split auto-encoder of
figure 3.3) or any other :class:`~keras_taskadapt.training.HierarchicalTraining` model, e.g.
the lightweight classifier of figure 3.1 built with
:func:`~keras_taskadapt.models.wavelet_resnet.wavelet_resnet_classifier`. The scored layers
are the layers that create channels (convolutions, transposed convolutions, dense layers)
of the encoder and then of the decoder, the decoder's softmax classifier left out; the
decoder sees the quantized latent, as deployed. Every filter or neuron gets Fisher's
``D = trace(S_w^-1 S_b)`` of eqs. (3.4)-(3.6) on its feature map
(:func:`~keras_taskadapt.pruning.layer_discriminative_power`).

``evaluate discriminative-power`` draws the best filter's ``D`` per layer, one line per
``--model`` (figures 3.2 and 3.5, and 3.8 for the auto-encoder), on the test split by default.
Writes ``discriminative_power.csv`` (columns ``model, index, part, layer, kind, filters,
best, mean``) and ``best_filter_power.png``. metrics.json keys: ``models``, ``layers`` (of
the first model), ``split``, ``examples``, ``mean_best_power_<label>`` (the mean over layers
of the best filter's ``D``: the height of the figure's curve), ``dataset``,
``skipped_records``.

``train prune`` is the "Feature Map Pruning" of section 3.3.1 and table 3.1: it scores the
filters on the training split, removes the lowest-scoring ones from the selected layers
(``--keep-fraction`` of every selected layer, or ``--keep LAYER=COUNT`` as table 3.1's
{166, 204, 128, 76} of module 3) and rebuilds a smaller model
(:func:`~keras_taskadapt.pruning.slice_channels`), which is fine-tuned by cross-entropy
(:class:`~keras_taskadapt.training.EndToEnd`). The channels a residual shortcut ties
together (:class:`~keras_taskadapt.pruning.ChannelGroups`) are one unit: a channel of such a
group scores the highest ``D`` it has in the layers that write it, and a count or fraction
given for one of them applies to the group. Pruning the encoder's output channels (the
latent neurons of figure 3.3, section 3.3.1) narrows the latent, the quantizer, the decoder
input and the side branch with it (:func:`~keras_taskadapt.latent.truncate_latent`).
Writes the pruned ``model.keras``, ``pruned_layers.csv`` (per channel group: its layers,
``channels_before``, ``channels_after``, ``best``, ``lowest_kept``), ``table.csv`` (rows
like table 3.1: baseline, pruned, pruned and fine-tuned, with parameter, accuracy and FLOP
changes), the discriminative-power csv and plot of the model before pruning on the
training split, ``history.csv``, ``config.json``. metrics.json keys: ``accuracy`` (test,
after fine-tuning), ``accuracy_pruned`` (before fine-tuning), ``accuracy_before``,
``params``, ``params_before``, ``flops``, ``flops_before`` (deployed encoder and decoder;
:func:`~keras_taskadapt.pruning.count_params`, :func:`~keras_taskadapt.pruning.count_flops`),
``encoder_params``, ``encoder_params_before``, ``encoder_flops``, ``encoder_flops_before``,
``latent_dim``, ``latent_dim_before`` (channels of the encoder output), ``pruned_groups``,
``score_examples``, ``train_seconds``, ``epochs``, ``train_examples``, ``test_examples``,
``skipped_records``, ``dataset``.
"""

import fnmatch

from keras_taskadapt.tasks.classify import input_shape as data_input_shape
from keras_taskadapt.tasks.options import add_data_options, add_run_options

SPLITS = ("train", "test")
#: Kinds of scored layers in the csv, by Keras class name.
LAYER_KINDS = {"Conv2D": "conv", "Conv2DTranspose": "transposed conv", "Dense": "dense"}


def add_power_arguments(parser):
    parser.add_argument("--model", action="append", required=True,
                        help="a model.keras written by train hierarchical; repeat to compare models in one plot")
    parser.add_argument("--label", action="append", default=[],
                        help="the legend label of each --model, in order (default: the model's training name)")
    parser.add_argument("--split", choices=SPLITS, default="test",
                        help="split the scores are computed on (figure 3.5: test; default: test)")
    parser.add_argument("--examples", type=int, default=None, help="score on the first N images only (default: all)")
    add_data_options(parser)
    add_run_options(parser)


def add_prune_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train hierarchical")
    group = parser.add_argument_group("pruning (section 3.3.1, table 3.1)")
    group.add_argument("--keep-fraction", type=float, default=None,
                       help="fraction in (0, 1] of the filters of every selected layer to keep (rounded, at least 1)")
    group.add_argument("--keep", nargs="+", default=[], metavar="LAYER=COUNT",
                       help="filters to keep in named layers, e.g. m3b1_conv1=166 m3b2_conv1=128 (table 3.1)")
    group.add_argument("--layers", nargs="+", default=None, metavar="GLOB",
                       help="layers --keep-fraction prunes, as name patterns such as 'm3*' "
                            "(default: every layer of the encoder, latent neurons included)")
    group.add_argument("--score-examples", type=int, default=None,
                       help="training images the filters are scored on (default: all)")
    group = parser.add_argument_group("fine-tuning (cross-entropy)")
    group.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs (default: 2)")
    group.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate (default: 1e-3)")
    group.add_argument("--steps-per-epoch", type=int, default=None, help="cap the steps of each epoch")
    group.add_argument("--no-augment", dest="augment", action="store_false", help="switch off random crop and flip")
    add_data_options(parser)
    add_run_options(parser)


def channel_layers(model):
    """``{part: [names]}`` of the scored layers of the encoder and the decoder (module docstring)."""
    from keras_taskadapt.pruning.channel_groups import CHANNEL_LAYERS

    classifier = model.decoder.outputs[0]._keras_history.operation.name
    return {part: [layer.name for layer in getattr(model, part).layers
                   if isinstance(layer, CHANNEL_LAYERS) and layer.name != classifier]
            for part in ("encoder", "decoder")}


def discriminative_power(model, batches, num_classes):
    """``{layer: D of its channels}`` of the scored layers over ``batches`` of (images, labels):
    the encoder's on the images, the decoder's on the deployed (quantized) latents."""
    from keras_taskadapt.pruning import layer_discriminative_power

    def server_inputs():
        for images, labels in batches:
            latent = model.encoder(images, training=False)
            yield (latent if model.quantizer is None else model.quantizer(latent, training=False)), labels

    names = channel_layers(model)
    scores = layer_discriminative_power(model.encoder, names["encoder"], batches, num_classes)
    scores.update(layer_discriminative_power(model.decoder, names["decoder"], server_inputs(), num_classes))
    return scores


def power_rows(label, model, scores):
    """Rows of ``discriminative_power.csv`` for one model."""
    import numpy as np

    part_of = {name: part for part, names in channel_layers(model).items() for name in names}
    rows = []
    for index, (name, values) in enumerate(scores.items(), start=1):
        layer = getattr(model, part_of[name]).get_layer(name)
        rows.append({"model": label, "index": index, "part": part_of[name], "layer": name,
                     "kind": LAYER_KINDS.get(type(layer).__name__, type(layer).__name__), "filters": len(values),
                     "best": float(np.max(values)), "mean": float(np.mean(values))})
    return rows


def write_power(run, curves, models, split):
    """``discriminative_power.csv`` and ``best_filter_power.png`` (figures 3.2/3.5) of ``curves``
    (``{label: scores}``) of ``models`` (``{label: model}``)."""
    from keras_taskadapt.pruning import plot_best_filter_power
    from keras_taskadapt.run_directory import write_csv

    rows = [row for label, scores in curves.items() for row in power_rows(label, models[label], scores)]
    write_csv(run.file("discriminative_power.csv"), rows)
    plot_best_filter_power(curves, run.file("best_filter_power.png"),
                           title=f"best filter's discriminative power ({split} split)")


def check_data(model, path, args, source):
    """Check that the hierarchical ``model`` (read from ``path``) takes the data's images and classes."""
    from keras_taskadapt.errors import UserError

    shape, data_shape = tuple(model.encoder.input.shape[1:]), tuple(data_input_shape(args, source))
    if data_shape != shape:
        raise UserError(f"{path} takes images of {shape}, the data has {data_shape} (use --image-size)")
    if model.decoder.output.shape[-1] != source.num_classes:
        raise UserError(f"{path} has {model.decoder.output.shape[-1]} classes, the data {source.num_classes}")


def first_examples(batches, limit, batch_size):
    """``batches`` cut to the first ``limit`` examples (all when ``limit`` is ``None``)."""
    return batches if limit is None else batches.unbatch().take(limit).batch(batch_size)


def check_count(option, value):
    from keras_taskadapt.errors import UserError

    if value is not None and value < 1:
        raise UserError(f"{option} must be >= 1, got {value}")


def evaluate_power(args):
    """Figures 3.2/3.5: the best filter's ``D`` per layer of every ``--model``."""
    import numpy as np

    from keras_taskadapt.errors import UserError
    from keras_taskadapt.run_directory import RunDirectory
    from keras_taskadapt.tasks.hierarchical import load_hierarchical, open_splits

    check_count("--examples", args.examples)
    if len(args.label) not in (0, len(args.model)):
        raise UserError(f"give one --label per --model ({len(args.model)}), got {len(args.label)}")
    models, paths = {}, {}
    for index, path in enumerate(args.model):
        model = load_hierarchical(path)
        label = args.label[index] if args.label else model.name
        if label in models:
            raise UserError(f"two models are labelled {label!r}; name them with --label")
        models[label], paths[label] = model, path
    run = RunDirectory(args.out)
    source, _, plain_train, test = open_splits(args)
    batches = first_examples(plain_train if args.split == "train" else test, args.examples, args.batch_size)
    curves = {}
    for label, model in models.items():
        check_data(model, paths[label], args, source)
        curves[label] = discriminative_power(model, batches, source.num_classes)
        print(f"{label}: best D per layer " + " ".join(f"{np.max(values):.2f}" for values in curves[label].values()))
    write_power(run, curves, models, args.split)
    size = source.size(args.split)
    run.write_config(vars(args))
    run.write_metrics({
        "models": len(models), "layers": len(next(iter(curves.values()))), "split": args.split,
        "examples": size if args.examples is None or size is None else min(size, args.examples),
        **{f"mean_best_power_{label}": float(np.mean([np.max(values) for values in scores.values()]))
           for label, scores in curves.items()},
        "dataset": source.name, "skipped_records": source.skipped_records,
    })
    print(f"results in {args.out}")


def parse_keep(entries):
    """``{layer: count}`` of ``--keep LAYER=COUNT ...``."""
    from keras_taskadapt.errors import UserError

    counts = {}
    for entry in entries:
        name, _, count = entry.partition("=")
        if not name or not count.isdigit() or int(count) < 1:
            raise UserError(f"--keep takes LAYER=COUNT with a count >= 1, got {entry!r}")
        counts[name] = int(count)
    return counts


def check_prune_options(args):
    from keras_taskadapt.errors import UserError

    if args.keep_fraction is None and not args.keep:
        raise UserError("say what to keep: --keep-fraction F and/or --keep LAYER=COUNT")
    if args.keep_fraction is not None and not 0 < args.keep_fraction <= 1:
        raise UserError(f"--keep-fraction must lie in (0, 1], got {args.keep_fraction}")
    for option, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size),
                          ("--score-examples", args.score_examples), ("--steps-per-epoch", args.steps_per_epoch)):
        check_count(option, value)
    if args.learning_rate <= 0:
        raise UserError(f"--learning-rate must be positive, got {args.learning_rate}")
    return parse_keep(args.keep)


def pruned_groups(model, keep_fraction, keep_counts, patterns=None):
    """The channel groups to prune, checked before any scoring: ``[(part, layers, count)]``.

    A group (its layers in model order) is pruned to ``count`` channels when ``keep_counts``
    names one of its layers (that count) or, with a ``keep_fraction``, when one of its
    layers matches ``patterns`` (default: the encoder's layers); groups tied to a fixed
    layer are left alone unless named.
    """
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.pruning import ChannelGroups

    names = channel_layers(model)
    unknown = sorted(set(keep_counts) - {name for part_names in names.values() for name in part_names})
    if unknown:
        raise UserError(f"--keep names no convolution or dense layer of the model: {unknown} "
                        f"(layers: {', '.join(names['encoder'] + names['decoder'])})")
    selected = []
    for part, part_names in names.items():
        groups = ChannelGroups(getattr(model, part))
        members = {}
        for name in part_names:
            if name in keep_counts:
                groups.group_of(name)  # a UserError if the group cannot be pruned
            members.setdefault(groups.output_group[name], []).append(name)
        for group, layers in members.items():
            counts = {keep_counts[name] for name in layers if name in keep_counts}
            size = getattr(model, part).get_layer(layers[0]).output.shape[-1]
            matched = any(fnmatch.fnmatchcase(name, pattern) for name in layers for pattern in patterns) \
                if patterns is not None else part == "encoder"
            if len(counts) > 1:
                raise UserError(f"layers {layers} share their channels (a residual shortcut); give one count")
            if counts:
                count = counts.pop()
                if count > size:
                    raise UserError(f"cannot keep {count} of the {size} channels of {'+'.join(layers)}")
            elif keep_fraction is not None and matched and group in groups.prunable:
                count = max(1, round(keep_fraction * size))
            else:
                continue
            selected.append((part, layers, count))
    if not selected:
        raise UserError("the selected layers hold no prunable channels")
    return selected


def kept_channels(selected, scores):
    """``{part: {layer: indices}}``: the ``count`` highest-scoring channels of every group of
    ``selected`` (named by its first layer), and the rows of ``pruned_layers.csv``."""
    import numpy as np

    from keras_taskadapt.pruning import highest_scoring

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
    """The :class:`~keras_taskadapt.models.hierarchical_parts.HierarchicalParts` of ``model``
    without the channels ``plan`` leaves out (the encoder output through ``truncate_latent``)."""
    import numpy as np

    from keras_taskadapt.latent import truncate_latent
    from keras_taskadapt.models.hierarchical_parts import HierarchicalParts
    from keras_taskadapt.pruning import ChannelGroups, slice_channels

    groups = ChannelGroups(model.encoder)
    output_group = groups.output_group[model.encoder.outputs[0]._keras_history.operation.name]
    inner = {name: kept for name, kept in plan["encoder"].items() if groups.output_group[name] != output_group}
    latent = [kept for name, kept in plan["encoder"].items() if groups.output_group[name] == output_group]
    parts = HierarchicalParts(slice_channels(model.encoder, inner), slice_channels(model.decoder, plan["decoder"]),
                              model.side_branch, model.quantizer)
    return truncate_latent(parts, latent[0] if latent else np.arange(model.encoder.output.shape[-1]))


def complexity(model):
    """Parameters and FLOPs of the deployed parts (table 3.1's columns) and the latent width."""
    from keras_taskadapt.pruning import count_flops, count_params

    return {"params": count_params(model.encoder, model.decoder),
            "flops": count_flops(model.encoder) + count_flops(model.decoder),
            "encoder_params": count_params(model.encoder), "encoder_flops": count_flops(model.encoder),
            "latent_dim": int(model.encoder.output.shape[-1])}


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


def train_prune(args):
    """Score, prune, fine-tune (module docstring)."""
    import keras

    from keras_taskadapt.distribute import make_strategy
    from keras_taskadapt.experiment import (
        fit_with_contract,
        run_bookkeeping,
        seed_everything,
    )
    from keras_taskadapt.run_directory import RunDirectory, write_csv
    from keras_taskadapt.tasks.hierarchical import load_hierarchical, open_splits
    from keras_taskadapt.training import EndToEnd

    keep_counts = check_prune_options(args)
    model = load_hierarchical(args.model)
    selected = pruned_groups(model, args.keep_fraction, keep_counts, args.layers)
    run = RunDirectory(args.out)
    seed_everything(args.seed, args.deterministic_ops)
    source, train, plain_train, test = open_splits(args, augment=args.augment, repeat=bool(args.steps_per_epoch))
    check_data(model, args.model, args, source)
    scores = discriminative_power(model, first_examples(plain_train, args.score_examples, args.batch_size),
                                  source.num_classes)
    plan, group_rows = kept_channels(selected, scores)
    write_power(run, {model.name: scores}, {model.name: model}, "train")
    write_csv(run.file("pruned_layers.csv"), group_rows)
    before = {**complexity(model), "accuracy": model.evaluate(test, return_dict=True, verbose=0)["accuracy"]}
    with make_strategy(args.strategy).scope():
        pruned = EndToEnd(*prune_model(model, plan), name=f"{model.name}_pruned")
        pruned.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    pruned_accuracy = pruned.evaluate(test, return_dict=True, verbose=0)["accuracy"]
    run.write_config({**vars(args), "out": args.out, "dataset_classes": source.num_classes})
    _, seconds = fit_with_contract(pruned, train, test, run=run, epochs=args.epochs,
                                   steps_per_epoch=args.steps_per_epoch)
    after = {**complexity(pruned), "accuracy": pruned.evaluate(test, return_dict=True, verbose=0)["accuracy"]}
    write_csv(run.file("table.csv"), table_rows(model.name, before, pruned_accuracy, after))
    metrics = {**after, "accuracy_pruned": pruned_accuracy,
               **{f"{key}_before": value for key, value in before.items()},
               "pruned_groups": len(group_rows), "score_examples": args.score_examples or source.size("train"),
               **run_bookkeeping(run, source, seconds)}
    run.finish(pruned, metrics)
    print(f"params {before['params']} -> {after['params']}, FLOPs {before['flops']} -> {after['flops']}, "
          f"accuracy {before['accuracy']:.4f} -> {pruned_accuracy:.4f} pruned -> {after['accuracy']:.4f} "
          f"fine-tuned; results in {args.out}")


COMMANDS = {
    ("evaluate", "discriminative-power"): (add_power_arguments, evaluate_power,
                                           "best filter's discriminative power per layer (figures 3.2, 3.5)"),
    ("train", "prune"): (add_prune_arguments, train_prune,
                         "prune the least discriminative filters of a hierarchical model, fine-tune (table 3.1)"),
}
