"""``classify``: a plain image classifier (CIFAR ResNet) on any data set.

The reference the channel-adapted tasks are measured against: the same back-bone, data and
budget without a codec in front. ``train`` fits it, ``evaluate`` scores a saved model,
``sweep`` trains several depths on one budget and plots accuracy against parameters.

metrics.json keys: ``accuracy`` and ``loss`` on the test split, ``train_seconds``,
``epochs``, ``params``, ``train_examples``, ``test_examples``, ``skipped_records``.
"""

import math
import os

from keras_taskadapt.tasks.options import add_data_options, add_run_options, add_training_options


def add_model_options(parser):
    parser.add_argument("--depth", type=int, default=20, help="ResNet depth 6n + 2 (default: 20)")
    parser.add_argument("--width", type=int, default=1, help="filter multiplier (default: 1)")


def add_train_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser)
    add_model_options(parser)


def open_data(args):
    """The opened source and its batched train and test pipelines."""
    from keras_taskadapt.data import load_dataset, open_dataset

    shape = tuple(args.image_size) + (3,) if args.image_size else None
    source = open_dataset(args.dataset, data_dir=args.data_dir, image_shape=shape, skip_corrupt=args.skip_corrupt)
    common = dict(source=source, batch_size=args.batch_size, seed=args.seed, image_size=args.image_size)
    train = load_dataset(split="train", shuffle=True, augment=getattr(args, "augment", False),
                         repeat=bool(getattr(args, "steps_per_epoch", None)), **common)
    test = load_dataset(split="test", shuffle=False, **common)
    return source, train, test


def input_shape(args, source):
    """(H, W, 3) the model takes: ``--image-size`` if given, else the data set's image shape."""
    return tuple(args.image_size) + (3,) if args.image_size else tuple(source.image_shape)


def steps_per_epoch(args, source):
    """Training steps per epoch where the split size is known (else ``None``)."""
    if args.steps_per_epoch:
        return args.steps_per_epoch
    size = source.size("train")
    return math.ceil(size / args.batch_size) if size else None


def sgd_with_cosine_decay(args, steps):
    """SGD with Nesterov momentum 0.9 and a cosine-decayed learning rate over the whole run."""
    import keras

    rate = args.learning_rate
    if steps:
        rate = keras.optimizers.schedules.CosineDecay(args.learning_rate, decay_steps=args.epochs * steps)
    return keras.optimizers.SGD(rate, momentum=0.9, nesterov=True)


def train_classifier(args, out):
    """Train one classifier into ``out``; returns its metrics."""
    from keras_taskadapt.distribute import make_strategy
    from keras_taskadapt.experiment import fit_with_contract, run_bookkeeping, seed_everything
    from keras_taskadapt.models import cifar_resnet
    from keras_taskadapt.run_directory import RunDirectory

    run = RunDirectory(out)
    seed_everything(args.seed, args.deterministic_ops)
    source, train, test = open_data(args)
    steps = steps_per_epoch(args, source)
    with make_strategy(args.strategy).scope():
        model = cifar_resnet(source.num_classes, input_shape(args, source), depth=args.depth, width=args.width,
                             weight_decay=args.weight_decay)
        model.compile(optimizer=sgd_with_cosine_decay(args, steps),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    run.write_config({**vars(args), "out": out, "dataset_classes": source.num_classes})
    history, seconds = fit_with_contract(model, train, test, run=run, epochs=args.epochs, resume=args.resume,
                                         steps_per_epoch=args.steps_per_epoch)
    scores = model.evaluate(test, return_dict=True, verbose=0)
    metrics = {"accuracy": scores["accuracy"], "loss": scores["loss"], "params": model.count_params(),
               **run_bookkeeping(run, source, seconds)}
    return run.finish(model, metrics)


def train(args):
    metrics = train_classifier(args, args.out)
    print(f"accuracy {metrics['accuracy']:.4f} after {metrics['epochs']} epochs; results in {args.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a .keras model written by train")
    add_data_options(parser)
    add_run_options(parser)


def evaluate(args):
    from export.keras_file import load_keras_model
    from keras_taskadapt.data import load_dataset, open_dataset
    from keras_taskadapt.run_directory import RunDirectory

    run = RunDirectory(args.out)
    model = load_keras_model(args.model)
    source = open_dataset(args.dataset, data_dir=args.data_dir, skip_corrupt=args.skip_corrupt)
    test = load_dataset(source=source, split="test", batch_size=args.batch_size, image_size=args.image_size)
    scores = model.evaluate(test, return_dict=True, verbose=0)
    run.write_config(vars(args))
    run.write_metrics({"accuracy": scores["accuracy"], "loss": scores["loss"],
                       "test_examples": source.size("test"), "skipped_records": source.skipped_records,
                       "dataset": source.name, "model": os.path.abspath(args.model)})
    print(f"accuracy {scores['accuracy']:.4f} on {source.name} test; results in {args.out}")


def add_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.add_argument("--depths", type=int, nargs="+", default=[20, 32, 44],
                        help="ResNet depths to train on the same budget (default: 20 32 44)")


def sweep(args):
    """Train one classifier per depth into ``out/depth<N>``; table, plot and summary metrics."""
    from keras_taskadapt.run_directory import RunDirectory, write_csv, write_json

    run = RunDirectory(args.out)
    rows = []
    for depth in args.depths:
        args.depth = depth
        metrics = train_classifier(args, os.path.join(args.out, f"depth{depth}"))
        rows.append({"depth": depth, "params": metrics["params"], "accuracy": metrics["accuracy"],
                     "train_seconds": metrics["train_seconds"]})
    write_csv(run.file("sweep.csv"), rows)
    plot_accuracy_against_params(rows, run.file("accuracy_vs_params.png"))
    best = max(rows, key=lambda row: row["accuracy"])
    write_json(run.file("metrics.json"), {"runs": len(rows), "best_depth": best["depth"],
                                          "best_accuracy": best["accuracy"]})
    print(f"best: depth {best['depth']} with accuracy {best['accuracy']:.4f}; table in {run.file('sweep.csv')}")


def plot_accuracy_against_params(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keras_taskadapt.run_directory import save_figure

    figure, axis = plt.subplots(figsize=(5, 3.5))
    axis.plot([row["params"] for row in rows], [row["accuracy"] for row in rows], marker="o")
    for row in rows:
        axis.annotate(f"ResNet-{row['depth']}", (row["params"], row["accuracy"]))
    axis.set_xlabel("parameters")
    axis.set_ylabel("test accuracy")
    axis.grid(alpha=0.3)
    save_figure(figure, path)


COMMANDS = {
    ("train", "classify"): (add_train_arguments, train, "CIFAR ResNet classifier (the no-codec reference)"),
    ("evaluate", "classify"): (add_evaluate_arguments, evaluate, "score a saved classifier on a test split"),
    ("sweep", "classify"): (add_sweep_arguments, sweep, "ResNet depths on one budget: accuracy vs parameters"),
}
