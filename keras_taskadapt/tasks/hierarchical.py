"""``hierarchical``: split auto-encoders trained hierarchically (seed 000 chapter 3, seeds 001 and 002).

``train hierarchical`` trains the wavelet-domain auto-encoder of figure 3.3 with one strategy
(``--training e2e|joint|duphil|three-step``), from scratch or from a trained model
(``--init``, e.g. the CE-T baseline, optionally truncated to ``--truncate-to`` latent
entries first), then measures the deployed pipeline on the test split: the encoder's
latents rounded, range-coded with per-entry models fitted on the training split, decoded
bit-exactly and classified. ``--quantization-scales`` adds the entropy-accuracy curve of
eq. (3.8) (figures 3.7 and 3.10). ``--architecture classifier`` trains the lightweight
wavelet-domain classifier of figure 3.1 instead (table 3.1, figure 3.5; no quantizer, its side
branch pools the module-2 map) with the same strategies and measures its test accuracy,
parameters and FLOPs: no latent, so no range coder, rate curve, truncation or decoder
retraining. ``sweep latent-dim`` is the screening of section 3.3.2: keras-tuner trains one
E2E model per ``dy`` and picks the most accurate.

Robustness studies (section 3.4): ``train`` on corrupted labels (``--label-corruption``,
:mod:`keras_taskadapt.data.label_noise`) or an imbalanced training set
(``--imbalance-classes``/``--imbalance-remove``, :mod:`keras_taskadapt.data.imbalance`);
``train --init MODEL --decoder-retrain kl|svm`` freezes MODEL's encoder and replaces its decoder
by a new one trained with KL-divergence or by a linear SVM
(:mod:`keras_taskadapt.robustness`), in place of ``--training``; ``evaluate --distortions``
measures the deployed pipeline on distorted test images.

metrics.json keys of ``train``: ``accuracy`` (test, through the real bit stream), ``loss``
(test cross-entropy), ``total_entropy_bits`` (Gaussian total entropy of the quantized test
latent), ``bits_per_image`` and ``ideal_bits_per_image`` (range-coded stream, its
information content), ``bpp`` (bits per pixel of the input image), ``latent_dim``,
``params`` and ``flops`` (deployed encoder and decoder), ``encoder_params``,
``encoder_flops``, ``training``, ``entropy_model``, ``train_seconds``, ``epochs``,
``train_examples``, ``test_examples``, ``skipped_records``, ``dataset``; of the robustness
studies: ``label_corruption`` (the ratio asked for), ``corrupted_fraction`` (of the training
labels actually wrong), ``corruption_seed``; ``imbalance_classes`` (label indices),
``imbalance_removed`` (examples removed from each), ``accuracy_minority`` and
``accuracy_majority`` (test accuracy on those classes and on the others, tables 3.2-3.3);
``decoder_retrain`` (``kl`` or ``svm``; ``training`` is then ``kl-decoder`` or ``svm-decoder``
and ``accuracy`` the new decoder's, through the same bit stream).

The classifier's metrics.json has ``accuracy``, ``loss``, ``params``, ``flops``,
``encoder_params``, ``encoder_flops`` and the keys from ``training`` on, no rate keys; both
architectures write ``architecture`` (``split-ae`` or ``classifier``, that of the ``--init`` model
by default).

``evaluate`` writes the same keys, and with ``--distortions`` ``distortions.csv`` (one row
per distortion and a clean row ``none``), ``distortions.png`` and ``accuracy_<distortion>``.
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
DECODER_RETRAINS = ("kl", "svm")
# robustness.DISTORTIONS and robustness.DEFAULT_STRENGTHS, likewise; the option of each strength
STRENGTH_OPTIONS = {"crop": ("--crop-fraction", 0.125, "fraction of each side cropped away before resizing back"),
                    "jitter": ("--jitter-strength", 0.2, ("s of the contrast and saturation factors in [1-s, 1+s] "
                                                         "and of a brightness shift up to s/2 of the range")),
                    "noise": ("--noise-amplitude", 0.1, "half-width of the uniform noise, as a fraction of 255"),
                    "rotate": ("--rotation-degrees", 15.0, "largest rotation in degrees")}
DISTORTIONS = ("crop", "flip", "jitter", "noise", "rotate")
ARCHITECTURES = ("split-ae", "classifier")
#: Options that need the quantized latent of the split auto-encoder: {attribute: option}.
LATENT_OPTIONS = {"quantization_scales": "--quantization-scales", "truncate_to": "--truncate-to",
                  "decoder_retrain": "--decoder-retrain", "distortions": "--distortions"}


def add_model_options(parser):
    group = parser.add_argument_group("model (figures 3.1 and 3.3)")
    group.add_argument("--depth", type=int, choices=(18, 34), default=18, help="ResNet-18 or -34 back-bone (default: 18)")
    group.add_argument("--width", type=float, default=0.25,
                       help="channel multiplier; 1 is the seed's network, 0.25 CPU-sized (default: 0.25)")
    group.add_argument("--latent-dim", type=int, default=64, help="dy, entries of the latent (default: 64)")
    group.add_argument("--hidden-units", type=int, default=None,
                       help="units of the latent encoder's first dense layer (default: max(module-2 width, dy))")
    group.add_argument("--side-dim", type=int, default=128, help="dimension of the LDR codes z (default: 128)")
    group.add_argument("--wavelet", default="bior4.4", help="DWT wavelet: bior4.4 (CDF 9/7), bior2.2, haar")
    return group


def add_strategy_options(parser):
    group = parser.add_argument_group("hierarchical training")
    group.add_argument("--training", "--strategy-name", dest="training", choices=TRAININGS, default=None,
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


def add_robustness_options(parser):
    group = parser.add_argument_group("robustness studies (section 3.4.1)")
    group.add_argument("--label-corruption", type=float, default=0.0, metavar="RATIO",
                       help="give this fraction of the training labels a different random class, fixed for the "
                            "whole run (seed: 0.1, 0.2, 0.3; default: 0)")
    group.add_argument("--corruption-seed", type=int, default=10,
                       help="seed of the corrupted labels (default: 10, the seed's)")
    group.add_argument("--imbalance-classes", nargs="+", default=None, metavar="C",
                       help="classes (names or label indices) to make under-represented in the training split")
    group.add_argument("--imbalance-remove", type=int, default=None, metavar="N",
                       help="training examples removed at random (--seed) from each --imbalance-classes class "
                            "(seed: 2500 or 4900 of CIFAR-10's 5000)")
    group.add_argument("--decoder-retrain", choices=DECODER_RETRAINS, default=None,
                       help="with --init, in place of --training: freeze the encoder and train a new decoder "
                            "with KL-divergence (kl, --epochs at --decoder-learning-rate) or fit a linear SVM on "
                            "the quantized training latents (svm)")
    group.add_argument("--kl-label-smoothing", type=float, default=0.0,
                       help="kl: smoothing a of the targets (1-a) onehot + a/K (default: 0, one-hot)")
    group.add_argument("--svm-c", type=float, default=1.0, help="svm: regularisation C of LinearSVC (default: 1)")


def add_train_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser, epochs=4, learning_rate=1e-3)
    add_model_options(parser).add_argument(
        "--architecture", choices=ARCHITECTURES, default=None,
        help="split-ae: the split auto-encoder of figure 3.3; classifier: the wavelet-domain classifier of "
             "figure 3.1, no latent (default: that of the --init model, else split-ae)")
    add_strategy_options(parser)
    add_rate_options(parser)
    add_robustness_options(parser)


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
    if (args.imbalance_classes is None) != (args.imbalance_remove is None):
        raise UserError("--imbalance-classes and --imbalance-remove go together")
    if args.decoder_retrain is not None:
        if args.init is None:
            raise UserError("--decoder-retrain needs --init MODEL, the trained model whose encoder it freezes")
        if args.training is not None:
            raise UserError("--decoder-retrain replaces --training: give one of them")
        if args.svm_c <= 0:
            raise UserError(f"--svm-c must be positive, got {args.svm_c}")
    else:
        args.training = args.training or "e2e"
    if args.init is None or args.architecture is not None:  # else that of the --init model, once loaded
        args.architecture = resolve_architecture(args)


def resolve_architecture(args, model=None):
    """``--architecture``, or that of the loaded ``model`` (the classifier of figure 3.1 has no
    quantizer), checked against it and against the options that need a quantized latent."""
    from keras_taskadapt.errors import UserError

    asked = getattr(args, "architecture", None)
    architecture = asked or "split-ae"
    if model is not None:
        architecture = "classifier" if model.quantizer is None else "split-ae"
        if asked not in (None, architecture):
            raise UserError(f"the model is a {architecture}, not --architecture {asked}")
    given = [option for name, option in LATENT_OPTIONS.items() if getattr(args, name, None)]
    if architecture == "classifier" and given:
        raise UserError(f"{', '.join(given)}: the classifier of figure 3.1 has no quantized latent "
                        "(--architecture split-ae)")
    return architecture


def load_hierarchical(path):
    """The :class:`~keras_taskadapt.training.HierarchicalTraining` model saved at ``path``."""
    import keras

    import keras_taskadapt.models.split_autoencoder  # noqa: F401  registers the layers of the parts
    import keras_taskadapt.robustness  # noqa: F401  registers KLDecoderRetraining
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

    if args.init is None:
        parts = new_parts(args, source.num_classes, input_shape)
    else:
        loaded = load_hierarchical(args.init)
        args.architecture = resolve_architecture(args, loaded)
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


def new_parts(args, num_classes, input_shape):
    """The parts of ``--architecture`` built from the model options."""
    from keras_taskadapt.models.split_autoencoder import split_autoencoder
    from keras_taskadapt.models.wavelet_resnet import wavelet_resnet_classifier

    common = {"depth": args.depth, "width": args.width, "side_dim": args.side_dim, "wavelet": args.wavelet,
              "weight_decay": args.weight_decay}
    if args.architecture == "classifier":
        return wavelet_resnet_classifier(num_classes, input_shape, **common)
    return split_autoencoder(num_classes, input_shape, latent_dim=args.latent_dim, hidden_units=args.hidden_units,
                             seed=args.seed, **common)


def build_training(args, parts):
    """The strategy model of ``--training`` (or ``--decoder-retrain kl``) around ``parts``,
    compiled (Adam for every group)."""
    import keras

    from keras_taskadapt.losses import MCR2_EPS
    from keras_taskadapt.robustness import KLDecoderRetraining, fresh_decoder
    from keras_taskadapt.training import TRAINING_STRATEGIES

    options = {"ce_batch_size": args.batch_size, "ldr_eps": MCR2_EPS if args.ldr_eps is None else args.ldr_eps}
    if args.decoder_retrain == "kl":
        model = KLDecoderRetraining(parts.encoder, fresh_decoder(parts.decoder), parts.side_branch, parts.quantizer,
                                    label_smoothing=args.kl_label_smoothing, name="kl_decoder", **options)
    else:
        if args.training == "joint":
            options["lam"] = args.lam
        if args.training == "three-step":
            options.update(step_epochs=tuple(args.step_epochs), n_views=args.views, view_seed=args.seed)
        model = TRAINING_STRATEGIES[args.training](*parts, name=args.training.replace("-", "_"), **options)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  decoder_optimizer=keras.optimizers.Adam(args.decoder_learning_rate),
                  finetune_optimizer=keras.optimizers.Adam(args.finetune_learning_rate))
    return model


def svm_decoder_model(args, parts, plain_train, num_classes):
    """``parts`` with a linear SVM as decoder, fitted on the quantized latents of the training
    split and its labels (as the robustness options make them), compiled."""
    import keras

    from keras_taskadapt.robustness import linear_svm_decoder
    from keras_taskadapt.training import EndToEnd

    latents, labels = collect_latents(parts.encoder, plain_train)
    received = keras.ops.convert_to_numpy(parts.quantizer(latents))
    decoder = linear_svm_decoder(received, labels, num_classes, c=args.svm_c, seed=args.seed)
    model = EndToEnd(parts.encoder, decoder, parts.side_branch, parts.quantizer, name="svm_decoder")
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    return model


def open_source(args):
    from keras_taskadapt.data import open_dataset

    shape = tuple(args.image_size) + (3,) if args.image_size else None
    return open_dataset(args.dataset, data_dir=args.data_dir, image_shape=shape, skip_corrupt=args.skip_corrupt)


def robust_training_set(args, source):
    """``source`` with the training split of the robustness studies (fewer examples of the
    ``--imbalance-classes``, then ``--label-corruption``) and their metrics."""
    from keras_taskadapt.data.imbalance import class_indices, imbalanced
    from keras_taskadapt.data.label_noise import corrupt_labels

    metrics = {"label_corruption": args.label_corruption, "corrupted_fraction": 0.0}
    if args.imbalance_classes is not None:
        classes = class_indices(args.imbalance_classes, source.class_names)
        source = imbalanced(source, classes, args.imbalance_remove, args.seed)
        metrics.update(imbalance_classes=classes, imbalance_removed=args.imbalance_remove)
    if args.label_corruption:
        source, fraction = corrupt_labels(source, args.label_corruption, args.corruption_seed)
        metrics.update(corrupted_fraction=fraction, corruption_seed=args.corruption_seed)
    return source, metrics


def open_splits(args, ldr_batch_size=None, augment=False, repeat=False, source=None):
    """The source (``source``, else the one ``--dataset`` names), the training batches
    (``ldr_batch_size``, whole batches only), the same split plain (for the coder's models)
    and the test batches."""
    from keras_taskadapt.data import load_dataset
    from keras_taskadapt.errors import UserError

    if source is None:
        source = open_source(args)
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
    from keras_taskadapt.run_directory import write_csv
    from keras_taskadapt.tasks.pruning import complexity

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
    return {**metrics, **complexity(model), "entropy_model": args.entropy_model}


def evaluation_metrics(model, plain_train, test, args, image_pixels, run, label):
    """The test split's ``accuracy`` and ``loss``, ``params``, ``flops`` and ``architecture``:
    for the split auto-encoder through the deployed pipeline (:func:`deployed_metrics`)."""
    from keras_taskadapt.tasks.pruning import complexity

    scores = model.evaluate(test, return_dict=True, verbose=0)
    if model.quantizer is None:  # the classifier of figure 3.1: no latent
        counts = {key: value for key, value in complexity(model).items() if key != "latent_dim"}
        return {"accuracy": scores["accuracy"], "loss": scores["loss"], **counts, "architecture": "classifier"}
    return {**deployed_metrics(model, plain_train, test, args, image_pixels, run, label), "loss": scores["loss"],
            "architecture": "split-ae"}


def plot_curves(run, curves):
    from keras_taskadapt.latent import plot_rate_accuracy

    plot_rate_accuracy(curves, run.file("entropy_accuracy.png"), rate="total_entropy_bits")
    plot_rate_accuracy(curves, run.file("bpp_accuracy.png"), rate="bpp")


def train_hierarchical(args, out):
    """Train one hierarchical model into ``out``; returns its metrics."""
    import time

    import numpy as np

    from keras_taskadapt.data.imbalance import group_accuracies
    from keras_taskadapt.distribute import make_strategy
    from keras_taskadapt.experiment import (
        fit_with_contract,
        run_bookkeeping,
        seed_everything,
    )
    from keras_taskadapt.run_directory import RunDirectory
    from keras_taskadapt.training import PhaseSchedule

    check_options(args)
    run = RunDirectory(out)
    seed_everything(args.seed, args.deterministic_ops)
    source, robustness = robust_training_set(args, open_source(args))
    source, train, plain_train, test = open_splits(args, args.ldr_batch_size, args.augment, bool(args.steps_per_epoch),
                                                   source=source)
    input_shape = model_input_shape(args, source)
    label = args.training or f"{args.decoder_retrain}-decoder"
    with make_strategy(args.strategy).scope():
        parts = initial_parts(args, source, input_shape, plain_train)
        if args.decoder_retrain == "svm":
            started = time.perf_counter()
            model = svm_decoder_model(args, parts, plain_train, source.num_classes)
            seconds = time.perf_counter() - started
        else:
            model = build_training(args, parts)
    run.write_config({**vars(args), "out": out, "dataset_classes": source.num_classes})
    if args.decoder_retrain != "svm":
        epochs = model.total_epochs if args.training == "three-step" else args.epochs
        _, seconds = fit_with_contract(model, train, test, run=run, epochs=epochs, resume=args.resume,
                                       callbacks=[PhaseSchedule()], steps_per_epoch=args.steps_per_epoch)
    metrics = {
        **evaluation_metrics(model, plain_train, test, args, input_shape[0] * input_shape[1], run, label),
        "training": label,
        **robustness,
        **run_bookkeeping(run, source, seconds),
    }
    if args.decoder_retrain is not None:
        metrics["decoder_retrain"] = args.decoder_retrain
    if args.imbalance_classes is not None:
        predicted = np.argmax(model.predict(test, verbose=0), axis=-1)
        labels = np.concatenate([batch_labels.numpy() for _, batch_labels in test])
        metrics.update(group_accuracies(predicted, labels, robustness["imbalance_classes"]))
    return run.finish(model, metrics)


def summary_line(metrics):
    if "bits_per_image" not in metrics:
        return f"accuracy {metrics['accuracy']:.4f} with {metrics['params']} parameters, {metrics['flops']} FLOPs"
    return (f"accuracy {metrics['accuracy']:.4f} at {metrics['bits_per_image']:.1f} bits/image "
            f"({metrics['bpp']:.3f} bpp, total entropy {metrics['total_entropy_bits']:.1f} bits, "
            f"dy = {metrics['latent_dim']})")


def train(args):
    metrics = train_hierarchical(args, args.out)
    print(summary_line(metrics) + f"; results in {args.out}")


def add_distortion_options(parser):
    group = parser.add_argument_group("distortion tests (section 3.4.2)")
    group.add_argument("--distortions", nargs="+", choices=DISTORTIONS, default=[],
                       help="measure the deployed pipeline on test images distorted by each of these, seeded "
                            "by --seed (flip: mirrored with probability 1/2)")
    for name, (option, default, meaning) in STRENGTH_OPTIONS.items():
        group.add_argument(option, dest=f"{name}_strength", type=float, default=default,
                           help=f"{name}: {meaning} (default: {default:g})")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train hierarchical")
    add_data_options(parser)
    add_run_options(parser)
    add_rate_options(parser)
    add_distortion_options(parser)


def distortion_strengths(args):
    """``{distortion: strength}`` of ``--distortions`` (``None`` for flip), checked."""
    from keras_taskadapt.robustness import check_strength

    strengths = {name: getattr(args, f"{name}_strength", None) for name in dict.fromkeys(args.distortions)}
    for name, strength in strengths.items():
        check_strength(name, strength)
    return strengths


def distortion_metrics(args, strengths, model, test, image_pixels, run):
    """``distortions.csv`` and ``distortions.png`` of ``--distortions``; the ``accuracy_<distortion>`` keys."""
    from keras_taskadapt.latent import LatentEntropyCoder
    from keras_taskadapt.robustness import distortion_rows, plot_distortions
    from keras_taskadapt.run_directory import write_csv

    coder = LatentEntropyCoder.load(run.file("entropy_coder.npz"))
    rows = distortion_rows(model, test, coder, strengths, image_pixels, seed=args.seed)
    write_csv(run.file("distortions.csv"), rows)
    plot_distortions(rows, run.file("distortions.png"))
    return {f"accuracy_{row['distortion']}": row["accuracy"] for row in rows[1:]}


def evaluate(args):
    """Rate and accuracy of a saved model's deployed pipeline on a data set (and its curve);
    accuracy, parameters and FLOPs of a classifier (figure 3.1)."""
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.run_directory import RunDirectory

    if any(scale <= 0 for scale in args.quantization_scales):
        raise UserError("--quantization-scales must be positive")
    strengths = distortion_strengths(args)
    model = load_hierarchical(args.model)
    resolve_architecture(args, model)
    run = RunDirectory(args.out)
    source, _, plain_train, test = open_splits(args)
    shape = tuple(model.encoder.input.shape[1:])
    data_shape = model_input_shape(args, source)
    if data_shape is not None and tuple(data_shape) != shape:
        raise UserError(f"--model takes images of {shape}, the data has {tuple(data_shape)} (use --image-size)")
    metrics = {**evaluation_metrics(model, plain_train, test, args, shape[0] * shape[1], run, model.name),
               "test_examples": source.size("test"), "skipped_records": source.skipped_records,
               "dataset": source.name, "model": os.path.abspath(args.model)}
    if args.distortions:
        metrics.update(distortion_metrics(args, strengths, model, test, shape[0] * shape[1], run))
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
                                "wavelet-domain split auto-encoder (real bits) or classifier; E2E/joint/DuPHiL/3-step"),
    ("evaluate", "hierarchical"): (add_evaluate_arguments, evaluate,
                                   "real bits, entropy and accuracy (params, FLOPs) of a saved hierarchical model"),
    ("sweep", "latent-dim"): (add_sweep_arguments, sweep_latent_dim,
                              "screen latent dimensions dy with quick E2E CE training (keras-tuner)"),
}
