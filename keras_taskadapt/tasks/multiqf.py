"""``multiqf``: the compressed-input CNN topology with block-by-block transfer learning (seed 004).

``train multiqf`` builds the topology on a trained base (``--base M.keras`` from ``train
classify``, or ``inception_v3`` / ``resnet50_v2`` with ``--base-weights FILE``) over the image
and its JPEG versions at ``--qualities``, and trains it in algorithm 2's stages: the new head,
then one more of ``--blocks`` per stage from the top. ``evaluate multiqf`` scores a saved
topology on a test split; ``data cache-bottlenecks`` writes the sparse bottleneck cache of one
block's input that ``train multiqf --cache`` trains from.

metrics.json keys of ``train``: ``accuracy`` and ``top5_accuracy`` (more than 5 classes) of the
kept stage (the best validation accuracy) on the test split, ``base_accuracy`` and
``base_top5_accuracy`` of the base on the original images, ``fixed`` and ``broken`` (table
4.8: images the topology gets right and the base wrong, and the reverse), ``best_stage``,
``best_block``, ``stages``, and per stage ``stage<k>_block``, ``stage<k>_val_accuracy``,
``stage<k>_accuracy``, ``stage<k>_top5_accuracy``, ``stage<k>_fixed``, ``stage<k>_broken``,
``stage<k>_epochs``, ``stage<k>_train_seconds``, ``stage<k>_trainable_params``;
``test_images``, ``versions``, ``qualities``, ``base``, ``cache`` (and
``cache_zero_fraction``), ``params``, ``train_seconds``, ``epochs``, ``train_examples``,
``test_examples``, ``skipped_records``, ``resized_images``, ``dataset``.
``stages.csv`` holds the stages' rows. ``evaluate`` writes ``accuracy``, ``top5_accuracy``,
``test_images``, and with the base ``base_accuracy``, ``base_top5_accuracy``, ``fixed``,
``broken``.
"""

from keras_taskadapt.commands.options import add_data_options, add_output_options, add_run_options, count, positive
from keras_taskadapt.commands.registry import command


def add_topology_options(parser):
    """The base, the data and the versions: shared by training and caching."""
    from keras_taskadapt.multiqf.base_network import APPLICATIONS
    from keras_taskadapt.multiqf.versions import SEED_QUALITIES

    group = parser.add_argument_group("topology (seed 004, section 3.4.2)")
    group.add_argument("--base", required=True,
                       help=f"the trained base network: a model.keras written by train classify, or "
                            f"{' or '.join(APPLICATIONS)} with --base-weights")
    group.add_argument("--base-weights", default=None,
                       help="the weights file of an application base (its ImageNet weights, say)")
    group.add_argument("--qualities", type=int, nargs="+", default=list(SEED_QUALITIES), metavar="Q",
                       help="JPEG qualities of the versions beside the original (default: 10 20 ... 100)")
    group.add_argument("--val-images", type=count, default=5000,
                       help="training images held out to choose each stage's checkpoint (default: 5000)")
    group.add_argument("--train-images", type=count, default=None,
                       help="train on the next N training images only (default: all the rest)")
    add_data_options(parser, default=None, batch_size=100)


def settings_of(options):
    """The run's settings; a ``.keras`` base is recorded by its absolute path (evaluations find it)."""
    import os

    from keras_taskadapt.commands.options import data_arguments
    from keras_taskadapt.multiqf.training import MultiQFSettings

    if options.base.endswith(".keras"):
        options.base = os.path.abspath(options.base)
    data = data_arguments(options, model=options.base if options.base.endswith(".keras") else None)
    return MultiQFSettings.from_options(options, dataset=data["spec"], data_dir=data["data_dir"],
                                        image_size=data["image_size"], qualities=tuple(options.qualities),
                                        blocks=tuple(getattr(options, "blocks", ())))


def add_train_arguments(parser):
    from keras_taskadapt.multiqf.topology import HEAD_INITS

    add_topology_options(parser)
    add_run_options(parser)
    group = parser.add_argument_group("block-by-block training (section 3.4.1, algorithm 2)")
    group.add_argument("--blocks", nargs="*", default=[], metavar="BLOCK",
                       help="blocks to unfreeze after the head, one more per stage, from the top down "
                            "(a wrong name lists the base's blocks; default: the head only)")
    group.add_argument("--head-init", choices=HEAD_INITS, default="random",
                       help="the new head starts at random (the seed's) or as the base's classifier on the "
                            "original, zeros on the versions (the topology starts as the base) (default: random)")
    group.add_argument("--learning-rate", type=positive, default=0.01,
                       help="SGD rate of the head's stage (default: 0.01, the seed's)")
    group.add_argument("--rate-divisor", type=positive, default=10.0,
                       help="each later stage starts at the rate before divided by this (default: 10)")
    group.add_argument("--patience", type=count, default=1,
                       help="end a stage after this many evaluations without a better validation accuracy "
                            "(default: 1, the seed's)")
    group.add_argument("--epochs", type=count, default=20, help="the most evaluations of one stage (default: 20)")
    group.add_argument("--steps-per-epoch", type=count, default=None,
                       help="training steps between evaluations (default: a pass; the seed: 2000)")
    group.add_argument("--test-images", type=count, default=None,
                       help="score the stages on the first N test images (default: all)")
    group.add_argument("--cache", default=None, help="a bottleneck cache folder written by data cache-bottlenecks")


@command("train", "multiqf", "compressed-input topology over JPEG versions, trained block by block (seed 004)",
         add_train_arguments)
def train(options):
    from keras_taskadapt.experiment import RunSettings
    from keras_taskadapt.multiqf.training import train_multiqf

    metrics = train_multiqf(settings_of(options), RunSettings.from_options(options), config=vars(options))
    print(f"accuracy {metrics['accuracy']:.4f} (base {metrics['base_accuracy']:.4f}; fixed {metrics['fixed']}, "
          f"broken {metrics['broken']}) after {metrics['stages']} stages, best {metrics['best_block']}; "
          f"results in {options.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train multiqf")
    parser.add_argument("--base", default=None,
                        help="the base to compare with (default: the one recorded with the model)")
    parser.add_argument("--base-weights", default=None, help="the weights file of an application base")
    parser.add_argument("--test-images", type=count, default=None, help="score the first N test images (default: all)")
    add_data_options(parser, default=None, batch_size=100)
    add_output_options(parser)


@command("evaluate", "multiqf", "score a saved topology on a test split, against its base", add_evaluate_arguments)
def evaluate(options):
    from keras_taskadapt.commands.options import data_arguments
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.multiqf.evaluation import evaluate_topology

    data = data_arguments(options, model=options.model)
    metrics = evaluate_topology(options.model, data, base=options.base, base_weights=options.base_weights,
                                batch_size=options.batch_size, test_images=options.test_images)
    run = RunDirectory(options.out)
    run.write_config(vars(options))
    run.write_metrics(metrics)
    print(f"accuracy {metrics['accuracy']:.4f} on {metrics['test_images']} test images; results in {options.out}")


def add_cache_arguments(parser):
    add_topology_options(parser)
    parser.add_argument("--block", required=True,
                        help="the block whose input is cached (head: the input of the new head)")
    parser.add_argument("--sparsity-images", type=count, default=256,
                        help="training images the per-block zero fractions are measured on (default: 256)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the topology's head (not stored)")
    parser.add_argument("--out", required=True, help="the cache folder to write")
    parser.add_argument("--force", action="store_true", help="replace the cache --out already holds")


@command("data", "cache-bottlenecks", "write a block's input for every JPEG version as sparse TFRecords (seed 004)",
         add_cache_arguments)
def cache_bottlenecks(options):
    from keras_taskadapt.multiqf.training import cache_bottlenecks as write

    content = write(settings_of(options), options.block, options.out, seed=options.seed,
                    sparsity_images=options.sparsity_images, force=options.force)
    print(f"{content['train_records']} training and {content['val_records']} validation images, "
          f"{100 * content['zero_fraction']:.1f}% zeros at the input of {options.block}; cache in {options.out}")
