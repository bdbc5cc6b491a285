"""``hierarchical``: split auto-encoders trained hierarchically (seed 000 chapter 3, seeds 001 and 002).

``train hierarchical`` trains the wavelet-domain auto-encoder of figure 3.3 with one strategy
(``--training e2e|joint|duphil|three-step``), from scratch or from a trained model
(``--init``, e.g. the CE-T baseline, optionally truncated to ``--truncate-to`` latent
entries first), then measures the deployed pipeline on the test split: the encoder's
latents rounded, range-coded with per-entry models fitted on the training split, decoded
bit-exactly and classified. ``--quantization-scales`` adds the entropy-accuracy curve of
eq. (3.8) (figures 3.7 and 3.10). ``sweep latent-dim`` is the screening of section 3.3.2:
keras-tuner trains one E2E model per ``dy`` and picks the most accurate.

metrics.json keys of ``train``: ``accuracy`` (test, through the real bit stream), ``loss``
(test cross-entropy), ``total_entropy_bits`` (Gaussian total entropy of the quantized test
latent), ``bits_per_image`` and ``ideal_bits_per_image`` (range-coded stream, its
information content), ``bpp`` (bits per pixel of the input image), ``latent_dim``,
``params`` and ``flops`` (deployed encoder and decoder), ``encoder_params``,
``encoder_flops``, ``training``, ``entropy_model``, ``train_seconds``, ``epochs``,
``train_examples``, ``test_examples``, ``skipped_records``, ``dataset``.
"""

import os

from keras_taskadapt.tasks.classify import input_shape as model_input_shape
from keras_taskadapt.tasks.options import (
    add_data_options,
    add_run_options,
    add_training_options,
)

# The library's names (training.TRAINING_STRATEGIES, latent.MODELS, latent.TRUNCATIONS),
# repeated so that --help imports nothing heavy; test_hierarchical_cli checks they agree.
TRAININGS = ("e2e", "joint", "duphil", "three-step")
ENTROPY_MODELS = ("histogram", "gaussian")
TRUNCATIONS = ("last", "discriminative")


def add_model_options(parser):
    group = parser.add_argument_group("model (figure 3.3)")
    group.add_argument("--depth", type=int, choices=(18, 34), default=18, help="ResNet-18 or -34 back-bone (default: 18)")
    group.add_argument("--width", type=float, default=0.25,
                       help="channel multiplier; 1 is the seed's network, 0.25 CPU-sized (default: 0.25)")
    group.add_argument("--latent-dim", type=int, default=64, help="dy, entries of the latent (default: 64)")
    group.add_argument("--hidden-units", type=int, default=None,
                       help="units of the latent encoder's first dense layer (default: max(module-2 width, dy))")
    group.add_argument("--side-dim", type=int, default=128, help="dimension of the LDR codes z (default: 128)")
    group.add_argument("--wavelet", default="bior4.4", help="DWT wavelet: bior4.4 (CDF 9/7), bior2.2, haar")


def add_strategy_options(parser):
    group = parser.add_argument_group("hierarchical training")
    group.add_argument("--training", "--strategy-name", dest="training", choices=TRAININGS, default="e2e",
                       help="e2e (CE), joint (CE + lambda LDR), duphil (phase 1 LDR, phase 2 CE, alternating "
                            "epochs), three-step (DuPHiL, self-supervised DuPHiL, E2E fine-tuning) (default: e2e)")
    group.add_argument("--ldr-batch-size", type=int, default=None,
                       help="batch size of the LDR phases, a multiple of --batch-size, which the CE phases use "
                            "(seed: 1000; default: --batch-size)")
    group.add_argument("--ldr-eps", type=float, default=None, help="precision eps of the LDR loss (default: sqrt(0.5))")
    group.add_argument("--lam", type=float, default=1.0, help="lambda of the joint loss (default: 1)")
    group.add_argument("--decoder-learning-rate", type=float, default=1e-3,
                       help="learning rate of DuPHiL phase 2 (default: 1e-3)")
    group.add_argument("--finetune-learning-rate", type=float, default=1e-4,
                       help="learning rate of three-step step 3 (default: 1e-4)")
    group.add_argument("--step-epochs", type=int, nargs=3, default=(2, 2, 1), metavar=("S1", "S2", "S3"),
                       help="three-step: epochs of the three steps, replacing --epochs (default: 2 2 1)")
    group.add_argument("--views", type=int, default=4,
                       help="three-step: views per image in the self-supervised LDR (default: 4)")
    group.add_argument("--init", default=None, help="a model.keras written by train hierarchical to start from")
    group.add_argument("--truncate-to", type=int, default=None,
                       help="keep only this many latent entries (then fine-tune with --training)")
    group.add_argument("--truncate-by", choices=TRUNCATIONS, default="last",
                       help="remove the last entries or the least discriminative ones (default: last)")


def add_rate_options(parser):
    group = parser.add_argument_group("rate")
    group.add_argument("--entropy-model", choices=ENTROPY_MODELS, default="histogram",
                       help="per-entry model of the range coder, fitted on the training split (default: histogram)")
    group.add_argument("--coder-examples", type=int, default=None,
                       help="training images the coder's models are fitted on (default: all)")
    group.add_argument("--quantization-scales", type=float, nargs="*", default=[],
                       help="scales s of q_i = s H(y_i) (eq. 3.8) for the entropy-accuracy curve")


def add_train_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser, epochs=4, learning_rate=1e-3)
    add_model_options(parser)
    add_strategy_options(parser)
    add_rate_options(parser)


def check_options(args):
    from keras_taskadapt.errors import UserError

    counts = {"--batch-size": args.batch_size, "--latent-dim": args.latent_dim, "--side-dim": args.side_dim,
              "--views": args.views, "--epochs": args.epochs}
    for option, value in counts.items():
        if value < 1:
            raise UserError(f"{option} must be >= 1, got {value}")
    if args.ldr_batch_size is not None and (args.ldr_batch_size < args.batch_size
                                            or args.ldr_batch_size % args.batch_size):
        raise UserError(f"--ldr-batch-size must be a multiple of --batch-size ({args.batch_size}), "
                        f"got {args.ldr_batch_size}")
    if args.width <= 0 or min(args.learning_rate, args.decoder_learning_rate, args.finetune_learning_rate) <= 0:
        raise UserError("--width and the learning rates must be positive")
    if args.lam < 0:
        raise UserError(f"--lam must be >= 0, got {args.lam}")
    if args.truncate_to is not None and args.truncate_to < 1:
        raise UserError(f"--truncate-to must be >= 1, got {args.truncate_to}")
    if any(scale <= 0 for scale in args.quantization_scales):
        raise UserError("--quantization-scales must be positive")
    if args.init is not None and not os.path.isfile(args.init):
        raise UserError(f"--init {args.init}: no such file")


def load_hierarchical(path):
    """The :class:`~keras_taskadapt.training.HierarchicalTraining` model saved at ``path``."""
    import keras

    import keras_taskadapt.models.split_autoencoder  # noqa: F401  registers the layers of the parts
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.training import HierarchicalTraining

    if not os.path.isfile(path):
        raise UserError(f"--model {path}: no such file")
    try:
        model = keras.models.load_model(path)
    except (ValueError, OSError) as error:
        raise UserError(f"{path}: not a Keras model file ({str(error).splitlines()[0]})") from None
    if not isinstance(model, HierarchicalTraining):
        raise UserError(f"{path}: not a hierarchical model (written by train hierarchical)")
    return model


def collect_latents(encoder, dataset, limit=None):
    """Latents ``y`` (float32) and labels of the first ``limit`` images (all by default) of ``dataset``."""
    import numpy as np

    if limit:
        dataset = dataset.unbatch().take(limit).batch(256)
    labels = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    latents = encoder.predict(dataset.map(lambda images, _: images), verbose=0)
    return latents, labels


def initial_parts(args, source, input_shape, plain_train):
    """The parts to train: built anew, or loaded from ``--init`` and optionally truncated."""
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.latent import entries_to_keep, truncate_latent
    from keras_taskadapt.models.hierarchical_parts import HierarchicalParts
    from keras_taskadapt.models.split_autoencoder import split_autoencoder

    if args.init is None:
        parts = split_autoencoder(source.num_classes, input_shape, depth=args.depth, width=args.width,
                                  latent_dim=args.latent_dim, hidden_units=args.hidden_units,
                                  side_dim=args.side_dim, wavelet=args.wavelet, weight_decay=args.weight_decay,
                                  seed=args.seed)
    else:
        loaded = load_hierarchical(args.init)
        parts = HierarchicalParts(loaded.encoder, loaded.decoder, loaded.side_branch, loaded.quantizer)
        if tuple(loaded.encoder.input.shape[1:]) != tuple(input_shape):
            raise UserError(f"--init model takes images of {loaded.encoder.input.shape[1:]}, the data {input_shape}")
        if loaded.decoder.output.shape[-1] != source.num_classes:
            raise UserError(f"--init model has {loaded.decoder.output.shape[-1]} classes, the data {source.num_classes}")
    latent_dim = parts.encoder.output.shape[-1]
    if args.truncate_to is None:
        return parts
    latents, labels = (None, None)
    if args.truncate_by == "discriminative":
        latents, labels = collect_latents(parts.encoder, plain_train, args.coder_examples)
    keep = entries_to_keep(args.truncate_by, args.truncate_to, latent_dim, latents, labels, source.num_classes)
    return truncate_latent(parts, keep)


def build_training(args, parts):
    """The strategy model of ``--training`` around ``parts``, compiled (Adam for every group)."""
    import keras

    from keras_taskadapt.losses import MCR2_EPS
    from keras_taskadapt.training import TRAINING_STRATEGIES

    options = {"ce_batch_size": args.batch_size, "ldr_eps": MCR2_EPS if args.ldr_eps is None else args.ldr_eps}
    if args.training == "joint":
        options["lam"] = args.lam
    if args.training == "three-step":
        options.update(step_epochs=tuple(args.step_epochs), n_views=args.views, view_seed=args.seed)
    model = TRAINING_STRATEGIES[args.training](*parts, name=args.training.replace("-", "_"), **options)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  decoder_optimizer=keras.optimizers.Adam(args.decoder_learning_rate),
                  finetune_optimizer=keras.optimizers.Adam(args.finetune_learning_rate))
    return model


def open_splits(args, ldr_batch_size=None, augment=False, repeat=False):
    """The source, the training batches (``ldr_batch_size``, whole batches only), the same
    split plain (for the coder's models) and the test batches."""
    from keras_taskadapt.data import load_dataset, open_dataset
    from keras_taskadapt.errors import UserError

    shape = tuple(args.image_size) + (3,) if args.image_size else None
    source = open_dataset(args.dataset, data_dir=args.data_dir, image_shape=shape, skip_corrupt=args.skip_corrupt)
    ldr_batch_size = ldr_batch_size or args.batch_size
    size = source.size("train")
    if size is not None and size < ldr_batch_size:
        raise UserError(f"the training split has {size} images, fewer than one batch of {ldr_batch_size}")
    common = {"source": source, "seed": args.seed, "image_size": args.image_size}
    train = load_dataset(split="train", batch_size=ldr_batch_size, shuffle=True, augment=augment, drop_remainder=True,
                         repeat=repeat, **common)
    plain = load_dataset(split="train", batch_size=args.batch_size, shuffle=False, **common)
    test = load_dataset(split="test", batch_size=args.batch_size, shuffle=False, **common)
    return source, train, plain, test


def deployed_metrics(model, plain_train, test, args, image_pixels, run, label):
    """Rate and accuracy of the deployed encoder, quantizer and decoder (module docstring);
    with ``--quantization-scales`` the curve, its rows labelled ``label`` in the plots."""
    import numpy as np

    from keras_taskadapt.latent import (
        LatentEntropyCoder,
        entropy_accuracy_curve,
        latent_rate,
        latent_symbols,
    )
    from keras_taskadapt.pruning import count_flops, count_params
    from keras_taskadapt.run_directory import write_csv

    train_latents, _ = collect_latents(model.encoder, plain_train, args.coder_examples)
    test_latents, test_labels = collect_latents(model.encoder, test)
    steps = np.asarray(model.quantizer.step_sizes)
    coder = LatentEntropyCoder.fit(latent_symbols(train_latents, steps), args.entropy_model)
    coder.save(run.file("entropy_coder.npz"))
    metrics = latent_rate(model.decoder, coder, test_latents, test_labels, steps, image_pixels)
    if args.quantization_scales:
        rows = entropy_accuracy_curve(model.decoder, train_latents, test_latents, test_labels,
                                      args.quantization_scales, image_pixels, args.entropy_model)
        write_csv(run.file("rate_curve.csv"), rows)
        plot_curves(run, {label: rows})
    return {
        **metrics,
        "latent_dim": int(test_latents.shape[1]),
        "params": count_params(model.encoder, model.decoder),
        "flops": count_flops(model.encoder) + count_flops(model.decoder),
        "encoder_params": count_params(model.encoder),
        "encoder_flops": count_flops(model.encoder),
        "entropy_model": args.entropy_model,
    }


def plot_curves(run, curves):
    from keras_taskadapt.latent import plot_rate_accuracy

    plot_rate_accuracy(curves, run.file("entropy_accuracy.png"), rate="total_entropy_bits")
    plot_rate_accuracy(curves, run.file("bpp_accuracy.png"), rate="bpp")


def train_hierarchical(args, out):
    """Train one hierarchical model into ``out``; returns its metrics."""
    from keras_taskadapt.distribute import make_strategy
    from keras_taskadapt.experiment import fit_with_contract, run_bookkeeping, seed_everything
    from keras_taskadapt.run_directory import RunDirectory
    from keras_taskadapt.training import PhaseSchedule

    check_options(args)
    run = RunDirectory(out)
    seed_everything(args.seed, args.deterministic_ops)
    source, train, plain_train, test = open_splits(args, args.ldr_batch_size, args.augment, bool(args.steps_per_epoch))
    input_shape = model_input_shape(args, source)
    with make_strategy(args.strategy).scope():
        parts = initial_parts(args, source, input_shape, plain_train)
        model = build_training(args, parts)
    run.write_config({**vars(args), "out": out, "dataset_classes": source.num_classes})
    epochs = model.total_epochs if args.training == "three-step" else args.epochs
    _, seconds = fit_with_contract(model, train, test, run=run, epochs=epochs, resume=args.resume,
                                   callbacks=[PhaseSchedule()], steps_per_epoch=args.steps_per_epoch)
    scores = model.evaluate(test, return_dict=True, verbose=0)
    metrics = {
        **deployed_metrics(model, plain_train, test, args, input_shape[0] * input_shape[1], run, args.training),
        "loss": scores["loss"],
        "training": args.training,
        **run_bookkeeping(run, source, seconds),
    }
    return run.finish(model, metrics)


def summary_line(metrics):
    return (f"accuracy {metrics['accuracy']:.4f} at {metrics['bits_per_image']:.1f} bits/image "
            f"({metrics['bpp']:.3f} bpp, total entropy {metrics['total_entropy_bits']:.1f} bits, "
            f"dy = {metrics['latent_dim']})")


def train(args):
    metrics = train_hierarchical(args, args.out)
    print(summary_line(metrics) + f"; results in {args.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train hierarchical")
    add_data_options(parser)
    add_run_options(parser)
    add_rate_options(parser)


def evaluate(args):
    """Rate and accuracy of a saved model's deployed pipeline on a data set (and its curve)."""
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.run_directory import RunDirectory

    if any(scale <= 0 for scale in args.quantization_scales):
        raise UserError("--quantization-scales must be positive")
    model = load_hierarchical(args.model)
    run = RunDirectory(args.out)
    source, _, plain_train, test = open_splits(args)
    shape = tuple(model.encoder.input.shape[1:])
    data_shape = model_input_shape(args, source)
    if data_shape is not None and tuple(data_shape) != shape:
        raise UserError(f"--model takes images of {shape}, the data has {tuple(data_shape)} (use --image-size)")
    metrics = {**deployed_metrics(model, plain_train, test, args, shape[0] * shape[1], run, model.name),
               "loss": model.evaluate(test, return_dict=True, verbose=0)["loss"],
               "test_examples": source.size("test"), "skipped_records": source.skipped_records,
               "dataset": source.name, "model": os.path.abspath(args.model)}
    run.write_config(vars(args))
    run.write_metrics(metrics)
    print(summary_line(metrics) + f"; results in {args.out}")


def add_sweep_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser, epochs=4, learning_rate=1e-3)
    add_model_options(parser)
    parser.add_argument("--latent-dims", type=int, nargs="+", default=[32, 64, 128, 256, 512],
                        help="latent dimensions dy to screen (default: 32 64 128 256 512, section 3.3.2)")


def sweep_latent_dim(args):
    """Section 3.3.2's screening: one quick E2E CE model per ``dy`` (keras-tuner grid), the most accurate wins."""
    import keras
    import keras_tuner

    from keras_taskadapt.errors import UserError
    from keras_taskadapt.experiment import progress_verbosity, seed_everything
    from keras_taskadapt.latent import plot_rate_accuracy
    from keras_taskadapt.models.split_autoencoder import split_autoencoder
    from keras_taskadapt.run_directory import RunDirectory, write_csv, write_json
    from keras_taskadapt.tasks.classify import open_data
    from keras_taskadapt.training import EndToEnd

    if min(args.latent_dims) < 1 or args.epochs < 1 or args.width <= 0:
        raise UserError("--latent-dims, --epochs and --width must be positive")
    run = RunDirectory(args.out)
    seed_everything(args.seed, args.deterministic_ops)
    source, train_batches, test = open_data(args)
    input_shape = model_input_shape(args, source)

    def build(hp):
        parts = split_autoencoder(source.num_classes, input_shape, depth=args.depth, width=args.width,
                                  latent_dim=hp.Choice("latent_dim", sorted(set(args.latent_dims))),
                                  hidden_units=args.hidden_units, side_dim=args.side_dim, wavelet=args.wavelet,
                                  weight_decay=args.weight_decay, seed=args.seed)
        model = EndToEnd(*parts, name="e2e")
        model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
        return model

    tuner = keras_tuner.GridSearch(build, objective=keras_tuner.Objective("val_accuracy", "max"),
                                   directory=run.path, project_name="tuner", overwrite=not args.resume,
                                   seed=args.seed)
    run.write_config({**vars(args), "out": args.out})
    tuner.search(train_batches, validation_data=test, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                 verbose=progress_verbosity())
    rows = sorted(({"latent_dim": trial.hyperparameters.get("latent_dim"), "accuracy": trial.score}
                   for trial in tuner.oracle.trials.values() if trial.score is not None),
                  key=lambda row: row["latent_dim"])
    if not rows:
        raise UserError("no screening trial finished")
    write_csv(run.file("sweep.csv"), rows)
    plot_rate_accuracy({"E2E (CE)": rows}, run.file("accuracy_vs_latent_dim.png"), rate="latent_dim")
    best = max(rows, key=lambda row: row["accuracy"])
    write_json(run.file("metrics.json"), {"trials": len(rows), "best_latent_dim": best["latent_dim"],
                                          "best_accuracy": best["accuracy"], "dataset": source.name})
    print(f"best: dy = {best['latent_dim']} with accuracy {best['accuracy']:.4f}; table in {run.file('sweep.csv')}")


COMMANDS = {
    ("train", "hierarchical"): (add_train_arguments, train,
                                "split wavelet-domain auto-encoder: E2E, joint, DuPHiL or three-step training, real bits"),
    ("evaluate", "hierarchical"): (add_evaluate_arguments, evaluate,
                                   "real bits, entropy and accuracy of a saved hierarchical model"),
    ("sweep", "latent-dim"): (add_sweep_arguments, sweep_latent_dim,
                              "screen latent dimensions dy with quick E2E CE training (keras-tuner)"),
}
