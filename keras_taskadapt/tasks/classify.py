"""``classify``: a plain image classifier (the CIFAR ResNet, ResNet-50 or WRN) on any data set.

The reference the channel-adapted tasks are measured against (:mod:`keras_taskadapt.classification`).
``train`` fits it, ``evaluate`` scores a saved model, ``sweep`` trains several depths on one
budget and plots accuracy against parameters.

metrics.json keys: ``accuracy`` and ``loss`` on the test split, ``train_seconds``,
``epochs``, ``params``, ``train_examples``, ``test_examples``, ``skipped_records``, ``dataset``.
"""

import os

from keras_taskadapt.commands.options import add_backbone_options, add_data_options, add_output_options
from keras_taskadapt.commands.options import add_run_options, add_training_options, evaluation_data, training_data
from keras_taskadapt.commands.registry import command


def add_train_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser)
    from keras_taskadapt.models import CLASSIFIERS

    add_backbone_options(parser.add_argument_group("classifier"), CLASSIFIERS.names(),
                         "the CIFAR ResNet 6n + 2, ResNet-50 with a CIFAR stem, or WRN",
                         "depth: 6n + 2 for resnet20 (default: 20), 6n + 4 for wrn (default: 28)")


def train_classifier(options, out):
    """Train one classifier into ``out``; returns its metrics."""
    from keras_taskadapt.classification import classifier_metrics, compiled_classifier
    from keras_taskadapt.experiment import RunSettings, run_training

    def build(data):
        return compiled_classifier(data.source.num_classes, data.input_shape, classifier=options.classifier,
                                   depth=options.depth, width=options.width, wrn_k=options.wrn_k,
                                   weight_decay=options.weight_decay, learning_rate=options.learning_rate,
                                   total_steps=data.total_steps(options.epochs))

    return run_training(
        RunSettings.from_options(options, out=out),
        open_data=lambda: training_data(options),
        build=build,
        evaluate=lambda model, data, run: classifier_metrics(model, data.test),
        config=vars(options),
    )


@command("train", "classify", "CIFAR ResNet classifier (the no-codec reference)", add_train_arguments)
def train(options):
    metrics = train_classifier(options, options.out)
    print(f"accuracy {metrics['accuracy']:.4f} after {metrics['epochs']} epochs; results in {options.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a .keras model written by train")
    add_data_options(parser, default=None)
    add_output_options(parser)


@command("evaluate", "classify", "score a saved classifier on a test split", add_evaluate_arguments)
def evaluate(options):
    import keras

    from keras_taskadapt.classification import classifier_metrics
    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.experiment import data_bookkeeping

    model = load_model(options.model, keras.Model)
    data = evaluation_data(options, options.model)
    run = RunDirectory(options.out)
    metrics = {**classifier_metrics(model, data.test), **data_bookkeeping(data.source),
               "model": os.path.abspath(options.model)}
    run.write_config(vars(options))
    run.write_metrics(metrics)
    print(f"accuracy {metrics['accuracy']:.4f} on {data.source.name} test; results in {options.out}")


def add_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.add_argument("--depths", type=int, nargs="+", default=[20, 32, 44],
                        help="ResNet depths to train on the same budget (default: 20 32 44)")


@command("sweep", "classify", "ResNet depths on one budget: accuracy vs parameters", add_sweep_arguments)
def sweep(options):
    """Train one classifier per depth into ``out/depth<N>``; table, plot and summary metrics."""
    import argparse

    from keras_taskadapt.classification import plot_accuracy_against_params
    from keras_taskadapt.core.files import write_csv, write_json
    from keras_taskadapt.core.progress import announced
    from keras_taskadapt.core.run_directory import RunDirectory

    run = RunDirectory(options.out)
    rows = []
    for _, depth in announced((f"depth {depth}", depth) for depth in options.depths):
        metrics = train_classifier(argparse.Namespace(**{**vars(options), "depth": depth}),
                                   os.path.join(options.out, f"depth{depth}"))
        rows.append({"depth": depth, "params": metrics["params"], "accuracy": metrics["accuracy"],
                     "train_seconds": metrics["train_seconds"]})
    write_csv(run.file("sweep.csv"), rows)
    plot_accuracy_against_params(rows, run.file("accuracy_vs_params.png"))
    best = max(rows, key=lambda row: row["accuracy"])
    write_json(run.file("metrics.json"), {"runs": len(rows), "best_depth": best["depth"],
                                          "best_accuracy": best["accuracy"]})
    print(f"best: depth {best['depth']} with accuracy {best['accuracy']:.4f}; table in {run.file('sweep.csv')}")
