"""``fewshot``: weakly-supervised few-shot learning with coarse-label LDR guidance (seed 000, chapter 4).

``train`` fits one method (``--method pretrain|protonet|feat``) on a ``fewshot:PATH`` data set,
``evaluate`` scores a saved model on seeded novel episodes, ``sweep`` trains the grids of
tables 4.1-4.3 on one budget.

metrics.json keys (train; evaluate has those marked *): ``accuracy`` * and ``ci95`` * (mean
5-way query accuracy on the novel split and its 95% confidence interval, at the run's
``shots`` *), ``episodes`` *, ``ways`` *, ``queries`` *, ``accuracy_<K>shot`` and ``ci95_<K>shot``
for each of ``--eval-shots``, ``method`` *, ``ldr`` *, ``coarse`` *, ``lambda`` *, ``backbone`` *,
``width`` *, ``augment``, ``params`` * (of the backbone), ``dataset`` *, ``pretrained``,
``train_seconds``, ``epochs``.
"""

import argparse
import os

from keras_taskadapt.commands.options import add_output_options, add_run_options, count, non_negative, positive
from keras_taskadapt.commands.registry import command


def add_episode_options(parser, shots=1):
    group = parser.add_argument_group("episodes")
    group.add_argument("--ways", type=count, default=5, help="classes per episode (default: 5)")
    group.add_argument("--shots", type=count, default=shots, help=f"support images per class (default: {shots})")
    group.add_argument("--queries", type=count, default=15, help="query images per class (default: 15)")
    group.add_argument("--episode-seed", type=int, default=0,
                       help="seed of the novel test episodes, the same for every model (default: 0)")
    return group


def add_dataset_option(parser, required=True):
    parser.add_argument("--dataset", required=required, default=None,
                        help="fewshot:PATH, a folder with base/, val/ and novel/ class folders, e.g. "
                             "fewshot:../shared/data/images/tiny-imagenet-fewshot" +
                             ("" if required else " (default: the data set the model was trained on)"))


def add_train_arguments(parser):
    from keras_taskadapt.fewshot.augmentation import AUGMENTATIONS
    from keras_taskadapt.fewshot.backbones import BACKBONES
    from keras_taskadapt.fewshot.classifier import LDR_PARTITIONS, LDR_SETS, METHODS
    from keras_taskadapt.fewshot.coarse import GROUPINGS

    add_dataset_option(parser)
    parser.add_argument("--image-size", type=count, nargs=2, metavar=("H", "W"), default=None,
                        help="resize every image to H x W (default: the images' own size)")
    add_run_options(parser)
    group = parser.add_argument_group("method")
    group.add_argument("--method", choices=METHODS.names(), default="protonet",
                       help="pretrain (64-way classifier on the base classes), protonet or feat (default: protonet)")
    group.add_argument("--backbone", choices=BACKBONES.names(), default="resnet12",
                       help="embedding network (default: resnet12)")
    group.add_argument("--width", type=positive, default=1.0, help="filter multiplier (default: 1)")
    group.add_argument("--pretrained", default=None, help="start from the backbone of this model.keras")
    group.add_argument("--temperature", type=positive, default=64.0,
                       help="logits are -distance^2 / temperature (default: 64, FEAT's)")
    group.add_argument("--balance", type=non_negative, default=0.01,
                       help="weight of FEAT's auxiliary regulariser (default: 0.01)")
    group.add_argument("--temperature2", type=positive, default=64.0,
                       help="temperature of FEAT's regulariser (default: 64)")
    group = parser.add_argument_group("LDR guidance (eqs. 4.1-4.3)")
    group.add_argument("--ldr", choices=LDR_PARTITIONS, default="none",
                       help="partition of the LDR term: none (CE only), hard (fine labels), weak (coarse groups)")
    group.add_argument("--lambda", dest="ldr_weight", type=non_negative, default=0.01,
                       help="weight lambda of the LDR term (default: 0.01)")
    group.add_argument("--ldr-set", choices=LDR_SETS, default="episode",
                       help="embeddings the LDR term sees: every image of the episode, or the support "
                            "(eq. 4.1 as printed) (default: episode)")
    group.add_argument("--coarse", choices=GROUPINGS, default="random",
                       help="coarse grouping of the base classes for --ldr weak (default: random)")
    group.add_argument("--coarse-file", default=None,
                       help="a wnid,group CSV for --coarse manual (default: the grouping the package ships "
                            "for the data set)")
    group = parser.add_argument_group("training")
    group.add_argument("--augment", nargs="+", default=["none"], metavar="NAME",
                       help=f"training augmentations: {' '.join(AUGMENTATIONS)}, all or none (default: none)")
    group.add_argument("--epochs", type=count, default=10, help="epochs (default: 10)")
    group.add_argument("--episodes-per-epoch", type=count, default=100,
                       help="training episodes per epoch (default: 100)")
    group.add_argument("--episodes-per-step", type=count, default=1,
                       help="episodes per optimizer step, the global batch of episodes (default: 1)")
    group.add_argument("--batch-size", type=count, default=128, help="images per step of pretrain (default: 128)")
    group.add_argument("--learning-rate", type=positive, default=0.001,
                       help="peak rate of SGD with Nesterov momentum, cosine-decayed (default: 0.001)")
    group.add_argument("--weight-decay", type=non_negative, default=5e-4, help="weight decay (default: 5e-4)")
    group.add_argument("--val-episodes", type=count, default=100,
                       help="validation episodes per epoch; the best epoch's weights are kept (default: 100)")
    group = add_episode_options(parser)
    group.add_argument("--test-episodes", type=count, default=2000,
                       help="novel test episodes (default: 2000)")
    group.add_argument("--eval-shots", type=count, nargs="+", default=[1, 5],
                       help="shot counts the novel split is also scored at (default: 1 5)")


def train_run(options, out):
    """Train one few-shot model into ``out``; returns its metrics."""
    from keras_taskadapt.experiment import RunSettings
    from keras_taskadapt.fewshot.training import FewShotSettings, train_fewshot

    settings = FewShotSettings.from_options(options)
    return train_fewshot(settings, RunSettings.from_options(options, out=out), config=vars(options))


def summary(metrics):
    return (f"5-way {metrics['shots']}-shot accuracy {100 * metrics['accuracy']:.2f} +- {100 * metrics['ci95']:.2f}% "
            f"over {metrics['episodes']} novel episodes")


@command("train", "fewshot", "few-shot ProtoNet/FEAT with weak (coarse-label) LDR guidance", add_train_arguments)
def train(options):
    metrics = train_run(options, options.out)
    print(f"{summary(metrics)} after {metrics['epochs']} epochs; results in {options.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train fewshot")
    add_dataset_option(parser, required=False)
    add_output_options(parser)
    group = add_episode_options(parser)
    group.add_argument("--episodes", type=count, default=2000, help="novel test episodes (default: 2000)")


@command("evaluate", "fewshot", "score a few-shot model on seeded novel episodes (mean accuracy and its 95 percent CI)",
         add_evaluate_arguments)
def evaluate(options):
    import keras

    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.core.run_directory import RunDirectory, recorded_options
    from keras_taskadapt.fewshot.evaluation import episode_metrics
    from keras_taskadapt.fewshot.splits import open_fewshot_data

    recorded = recorded_options(options.model)
    spec = options.dataset or recorded.get("dataset")
    if spec is None:
        raise TaskAdaptError("the model's folder records no data set: name it", parameter="dataset")
    novel = open_fewshot_data(spec).split("novel")
    model = load_model(options.model, keras.Model)
    if not hasattr(model, "backbone"):
        raise TaskAdaptError(f"{options.model} is not a few-shot model (it has no backbone)", parameter="model")
    metrics = episode_metrics(model, novel, ways=options.ways, shots=options.shots, queries=options.queries,
                              episodes=options.episodes, seed=options.episode_seed,
                              image_shape=tuple(model.backbone.input.shape[1:]))
    metrics.update({key: recorded.get(key, "none") for key in ("method", "ldr", "coarse", "backbone", "width")},
                   **{"lambda": recorded.get("ldr_weight", 0.0), "params": int(model.backbone.count_params()),
                      "dataset": spec, "model": os.path.abspath(options.model)})
    run = RunDirectory(options.out)
    run.write_config(vars(options))
    run.write_metrics(metrics)
    print(f"{summary(metrics)}; results in {options.out}")


def add_sweep_arguments(parser):
    from keras_taskadapt.fewshot.backbones import BACKBONES
    from keras_taskadapt.fewshot.sweep import GRIDS

    add_train_arguments(parser)
    group = parser.add_argument_group("sweep")
    group.add_argument("--grid", choices=GRIDS, default="tables",
                       help="tables: CE, hard and weak LDR (three groupings) per backbone, without and with "
                            "augmentation (tables 4.1, 4.2); augmentations: CE and Weak-LDR-R with one "
                            "augmentation at a time (table 4.3) (default: tables)")
    group.add_argument("--backbones", nargs="+", choices=BACKBONES.names(), default=["resnet12-thin", "resnet18-wide"],
                       help="backbones of the grid (default: resnet12-thin resnet18-wide)")
    group.add_argument("--pretrain-epochs", type=count, default=10, help="epochs of each pre-training (default: 10)")
    group.add_argument("--pretrain-learning-rate", type=positive, default=0.05,
                       help="peak rate of the pre-training (default: 0.05)")


@command("sweep", "fewshot", "tables 4.1-4.3: CE, hard and weak LDR over backbones and augmentations",
         add_sweep_arguments)
def sweep(options):
    from keras_taskadapt.core.files import write_csv, write_json
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.fewshot.sweep import plot_grid, run_grid

    run = RunDirectory(options.out)

    def train_one(folder, **overrides):
        if overrides.get("method") == "pretrain":
            overrides.update(epochs=options.pretrain_epochs, learning_rate=options.pretrain_learning_rate)
        if overrides.get("coarse") != "manual":
            overrides["coarse_file"] = None  # the grouping file belongs to the manual rows
        print(f"sweep: {os.path.relpath(folder, options.out)}", flush=True)
        return train_run(argparse.Namespace(**{**vars(options), **overrides, "force": True}), folder)

    rows = run_grid(options.grid, backbones=options.backbones, out=options.out, train=train_one,
                    augmentation_settings=[("none",), ("all",)], eval_shots=options.eval_shots)
    write_csv(run.file("sweep.csv"), rows)
    plot_grid(rows, options.eval_shots, run.file("accuracy.png"))
    shots = options.eval_shots[0]
    best = max(rows, key=lambda row: row[f"accuracy_{shots}shot"])
    write_json(run.file("metrics.json"), {"runs": len(rows), "grid": options.grid, "best_variant": best["variant"],
                                          "best_backbone": best["backbone"],
                                          f"best_accuracy_{shots}shot": best[f"accuracy_{shots}shot"]})
    print(f"best: {best['variant']} on {best['backbone']} ({best['augment']}) with 5-way {shots}-shot accuracy "
          f"{100 * best[f'accuracy_{shots}shot']:.2f}%; table in {run.file('sweep.csv')}")
