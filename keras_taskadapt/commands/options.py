"""Options shared by the tasks, declared once, and the argument types that check them."""

import argparse


def _number(convert, kind, accepts, requirement):
    """An argparse type: ``convert`` the text, then require ``accepts(value)``."""

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value

    return parse


#: A whole number of 1 or more (epochs, steps, batch sizes, examples ...).
count = _number(int, "a whole number", lambda value: value >= 1, "1 or more")
#: A number above 0 (learning rates, widths, scales).
positive = _number(float, "a number", lambda value: value > 0, "above 0")
#: A number of 0 or more (loss weights, ratios).
non_negative = _number(float, "a number", lambda value: value >= 0, "0 or more")


def add_data_options(parser, default="sklearn_digits", batch_size=128):
    """The data options; ``default=None``: the data set recorded with ``--model``."""
    from keras_taskadapt.data import describe_specs

    group = parser.add_argument_group("data")
    shown = default or "the data set recorded in the config.json beside --model"
    group.add_argument("--dataset", default=default, help=f"{describe_specs()} (default: {shown})")
    group.add_argument("--data-dir", default=None,
                       help="where local copies live or downloads go (default: $KERAS_TASKADAPT_DATA "
                            "or ~/.keras-taskadapt/datasets)")
    group.add_argument("--image-size", type=count, nargs=2, metavar=("H", "W"), default=None,
                       help="resize every image to H x W")
    group.add_argument("--skip-corrupt", action="store_true",
                       help="skip damaged records and unreadable images (counted in metrics.json) instead of stopping")
    group.add_argument("--batch-size", type=count, default=batch_size,
                       help=f"global batch size (default: {batch_size})")


def data_arguments(options, model=None, required=True):
    """The keyword arguments of :func:`~keras_taskadapt.data.open_image_data` that name the data.

    Without ``--dataset``, the data set recorded in the ``config.json`` beside ``model`` (the run
    that trained it), with its ``--data-dir`` and ``--image-size`` unless given; without either,
    an error, or ``None`` when the data are not ``required``.
    """
    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.core.run_directory import recorded_options

    spec, data_dir, image_size = options.dataset, options.data_dir, options.image_size
    if spec is None and model is not None:
        recorded = recorded_options(model)
        spec = recorded.get("dataset")
        data_dir = data_dir or recorded.get("data_dir")
        image_size = image_size or recorded.get("image_size")
    if spec is None:
        if not required:
            return None
        raise TaskAdaptError("the model's folder records no data set (no config.json of the run that trained it): "
                             "name the data set", parameter="dataset")
    return {"spec": spec, "data_dir": data_dir, "image_size": image_size, "skip_corrupt": options.skip_corrupt}


def training_data(options, model=None, **pipelines):
    """The :class:`~keras_taskadapt.data.ImageData` of a training run: the data options, and the
    batch size, seed, augmentation and steps per epoch of the training options (``pipelines``
    adds or replaces :func:`~keras_taskadapt.data.open_image_data`'s options)."""
    from keras_taskadapt.data import open_image_data

    return open_image_data(**{**data_arguments(options, model=model), "batch_size": options.batch_size,
                              "seed": options.seed, "augment": options.augment,
                              "steps_per_epoch": options.steps_per_epoch, **pipelines})


def evaluation_data(options, model):
    """The :class:`~keras_taskadapt.data.ImageData` an evaluation of ``model`` reads (the data set
    recorded with it unless ``--dataset`` names one), in batches of ``--batch-size``."""
    from keras_taskadapt.data import open_image_data

    return open_image_data(**data_arguments(options, model=model), batch_size=options.batch_size)


def add_output_options(parser):
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=True, help="output folder (created if missing)")
    group.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and augmentation")
    return group


def add_run_options(parser):
    """The options of every command that trains: output, seed, strategy, resume and force."""
    from keras_taskadapt.core.distribute import STRATEGIES

    group = add_output_options(parser)
    group.add_argument("--deterministic-ops", action="store_true",
                       help="ask TensorFlow for deterministic kernels too (slower)")
    group.add_argument("--strategy", choices=STRATEGIES, default="default",
                       help="tf.distribute strategy (default: one device)")
    group.add_argument("--resume", action="store_true",
                       help="continue an interrupted run in --out from its last finished epoch")
    group.add_argument("--force", action="store_true",
                       help="replace a run that --out already holds (without it such a folder is refused)")
    group.add_argument("--tensorboard", action="store_true", help="write TensorBoard logs to --out/logs")


def add_training_options(parser, epochs=10, learning_rate=0.1):
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=count, default=epochs, help=f"epochs (default: {epochs})")
    group.add_argument("--learning-rate", type=positive, default=learning_rate,
                       help=f"peak learning rate, cosine-decayed (default: {learning_rate})")
    group.add_argument("--weight-decay", type=non_negative, default=1e-4, help="L2 weight decay (default: 1e-4)")
    group.add_argument("--no-augment", dest="augment", action="store_false",
                       help="switch off random crop and flip")
    group.add_argument("--steps-per-epoch", type=count, default=None,
                       help="training steps of each epoch (default: one pass over the training split)")
    return group


def add_backbone_options(group, choices, classifier_help, depth_help):
    """The classifier back-bone: ``--classifier`` (one of ``choices``), ``--depth``, ``--width``
    and ``--wrn-k`` (:func:`keras_taskadapt.models.build_classifier`'s options)."""
    group.add_argument("--classifier", choices=choices, default="resnet20",
                       help=f"{classifier_help} (default: resnet20)")
    group.add_argument("--depth", type=count, default=None, help=depth_help)
    group.add_argument("--width", type=positive, default=1.0,
                       help="channel multiplier (an integer for resnet20; default: 1)")
    group.add_argument("--wrn-k", type=count, default=10, help="WRN widening factor k (10 CIFAR-100, 1 Tiny ImageNet)")


def add_export_options(parser, model_help, out_help):
    """The options of every export: the model, the artifact and ``--force``."""
    parser.add_argument("--model", required=True, help=model_help)
    parser.add_argument("--out", required=True, help=out_help)
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out (in a folder, only the files the export writes)")


def add_artifact_options(parser, model_help, out_help="the .tflite file to write"):
    """The options of an export that reads images: :func:`add_export_options` and an optional data set."""
    add_export_options(parser, model_help, out_help)
    add_data_options(parser, default=None)
