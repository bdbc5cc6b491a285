"""``discriminative-power`` and ``prune``: LDA screening of hierarchical models (seed 000 sections
3.2.6, 3.3.1, 3.4.1; :mod:`keras_taskadapt.hierarchical.pruning.plan`).

Both work on a ``model.keras`` written by ``train hierarchical`` (the split auto-encoder of
figure 3.3 or the lightweight classifier of figure 3.1).

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
{166, 204, 128, 76} of module 3) and rebuilds a smaller model, which is fine-tuned by
cross-entropy. Writes the pruned ``model.keras``, ``pruned_layers.csv`` (per channel group:
its layers, ``channels_before``, ``channels_after``, ``best``, ``lowest_kept``), ``table.csv``
(rows like table 3.1: baseline, pruned, pruned and fine-tuned, with parameter, accuracy and
FLOP changes), the discriminative-power csv and plot of the model before pruning on the
training split, ``history.csv``, ``config.json``. metrics.json keys: ``accuracy`` (test,
after fine-tuning), ``accuracy_pruned`` (before fine-tuning), ``accuracy_before``,
``params``, ``params_before``, ``flops``, ``flops_before`` (deployed encoder and decoder),
``encoder_params``, ``encoder_params_before``, ``encoder_flops``, ``encoder_flops_before``,
``latent_dim``, ``latent_dim_before`` (channels of the encoder output), ``pruned_groups``,
``score_examples``, ``train_seconds``, ``epochs``, ``train_examples``, ``test_examples``,
``skipped_records``, ``dataset``.
"""

from keras_taskadapt.commands.options import add_data_options, add_output_options, add_run_options, count
from keras_taskadapt.commands.options import evaluation_data, positive, training_data
from keras_taskadapt.commands.registry import command

SPLITS = ("train", "test")


def add_power_arguments(parser):
    parser.add_argument("--model", action="append", required=True,
                        help="a model.keras written by train hierarchical; repeat to compare models in one plot")
    parser.add_argument("--label", action="append", default=[],
                        help="the legend label of each --model, in order (default: the model's training name)")
    parser.add_argument("--split", choices=SPLITS, default="test",
                        help="split the scores are computed on (figure 3.5: test; default: test)")
    parser.add_argument("--examples", type=count, default=None, help="score on the first N images only (default: all)")
    add_data_options(parser, default=None)
    add_output_options(parser)


@command("evaluate", "discriminative-power", "best filter's discriminative power per layer (figures 3.2, 3.5)",
         add_power_arguments)
def evaluate_power(options):
    """Figures 3.2/3.5: the best filter's ``D`` per layer of every ``--model``."""
    import numpy as np

    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.hierarchical.model_setup import check_model_data, load_hierarchical
    from keras_taskadapt.hierarchical.pruning.plan import discriminative_power, first_examples, write_power

    if len(options.label) not in (0, len(options.model)):
        raise TaskAdaptError(f"give one --label per --model ({len(options.model)}), got {len(options.label)}")
    models, paths = {}, {}
    for index, path in enumerate(options.model):
        model = load_hierarchical(path)
        label = options.label[index] if options.label else model.name
        if label in models:
            raise TaskAdaptError(f"two models are labelled {label!r}; name them with --label")
        models[label], paths[label] = model, path
    run = RunDirectory(options.out)
    data = evaluation_data(options, options.model[0])
    batches = first_examples(data.plain_train if options.split == "train" else data.test, options.examples,
                             options.batch_size)
    curves = {}
    for label, model in models.items():
        check_model_data(model, paths[label], data.input_shape, data.source.num_classes)
        curves[label] = discriminative_power(model, batches, data.source.num_classes)
        print(f"{label}: best D per layer " + " ".join(f"{np.max(values):.2f}" for values in curves[label].values()))
    write_power(run.file("discriminative_power.csv"), run.file("best_filter_power.png"), curves, models,
                options.split)
    size = data.source.size(options.split)
    run.write_config(vars(options))
    run.write_metrics({
        "models": len(models), "layers": len(next(iter(curves.values()))), "split": options.split,
        "examples": size if options.examples is None or size is None else min(size, options.examples),
        **{f"mean_best_power_{label}": float(np.mean([np.max(values) for values in scores.values()]))
           for label, scores in curves.items()},
        "dataset": data.source.name, "skipped_records": data.source.skipped_records,
    })
    print(f"results in {options.out}")


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
    group.add_argument("--score-examples", type=count, default=None,
                       help="training images the filters are scored on (default: all)")
    group = parser.add_argument_group("fine-tuning (cross-entropy)")
    group.add_argument("--epochs", type=count, default=2, help="fine-tuning epochs (default: 2)")
    group.add_argument("--learning-rate", type=positive, default=1e-3, help="Adam learning rate (default: 1e-3)")
    group.add_argument("--steps-per-epoch", type=count, default=None, help="cap the steps of each epoch")
    group.add_argument("--no-augment", dest="augment", action="store_false", help="switch off random crop and flip")
    add_data_options(parser, default=None)
    add_run_options(parser)


@command("train", "prune", "prune the least discriminative filters of a hierarchical model, fine-tune (table 3.1)",
         add_prune_arguments)
def train_prune(options):
    """Score, prune, fine-tune (module docstring)."""
    import keras

    from keras_taskadapt.core.files import write_csv
    from keras_taskadapt.experiment import RunSettings, run_training
    from keras_taskadapt.hierarchical.model_setup import check_model_data, load_hierarchical
    from keras_taskadapt.hierarchical.pruning import deployed_complexity
    from keras_taskadapt.hierarchical.pruning.plan import (
        discriminative_power,
        first_examples,
        kept_channels,
        parse_keep,
        prune_model,
        pruned_groups,
        table_rows,
        write_power,
    )
    from keras_taskadapt.hierarchical.training import EndToEnd

    model = load_hierarchical(options.model)
    selected = pruned_groups(model, options.keep_fraction, parse_keep(options.keep), options.layers)
    state = {}

    def build(data):
        check_model_data(model, options.model, data.input_shape, data.source.num_classes)
        scores = discriminative_power(model, first_examples(data.plain_train, options.score_examples,
                                                            options.batch_size), data.source.num_classes)
        plan, state["group_rows"] = kept_channels(selected, scores)
        state["scores"] = scores
        state["before"] = {**deployed_complexity(model),
                           "accuracy": model.evaluate(data.test, return_dict=True, verbose=0)["accuracy"]}
        pruned = EndToEnd(*prune_model(model, plan), name=f"{model.name}_pruned")
        pruned.compile(optimizer=keras.optimizers.Adam(options.learning_rate))
        state["pruned_accuracy"] = pruned.evaluate(data.test, return_dict=True, verbose=0)["accuracy"]
        return pruned

    def evaluate(pruned, data, run):
        write_power(run.file("discriminative_power.csv"), run.file("best_filter_power.png"),
                    {model.name: state["scores"]}, {model.name: model}, "train")
        write_csv(run.file("pruned_layers.csv"), state["group_rows"])
        before = state["before"]
        after = {**deployed_complexity(pruned),
                 "accuracy": pruned.evaluate(data.test, return_dict=True, verbose=0)["accuracy"]}
        write_csv(run.file("table.csv"), table_rows(model.name, before, state["pruned_accuracy"], after))
        return {**after, "accuracy_pruned": state["pruned_accuracy"],
                **{f"{key}_before": value for key, value in before.items()},
                "pruned_groups": len(state["group_rows"]),
                "score_examples": options.score_examples or data.source.size("train")}

    metrics = run_training(
        RunSettings.from_options(options),
        open_data=lambda: training_data(options, model=options.model, train_batch_size=options.batch_size),
        build=build,
        evaluate=evaluate,
        config=vars(options),
    )
    before = state["before"]
    print(f"params {before['params']} -> {metrics['params']}, FLOPs {before['flops']} -> {metrics['flops']}, "
          f"accuracy {before['accuracy']:.4f} -> {metrics['accuracy_pruned']:.4f} pruned -> "
          f"{metrics['accuracy']:.4f} fine-tuned; results in {options.out}")
