"""``jcc``: JPEG inside the network (seed 000, chapter 2).

``train jcc`` trains a classifier behind the JPEG codec layers, either jointly with the
compression kernels (``--mode jcc``: L = L_CLA + lambda L_Quan, alternating 2 classifier
epochs and 1 JPEG epoch) or behind fixed standard tables (``--mode baseline --quality Q``);
``evaluate jcc`` scores a saved model on real JPEG files; ``sweep jcc`` trains baselines over
quality factors and JCC over lambda values on one budget and draws the rate-accuracy,
rate-PSNR and rate-SSIM curves of figures 2.7-2.9.

metrics.json keys (measured on real baseline JPEG files written with the learned tables):
``accuracy``, ``kb_per_image`` (KiB), ``bpp``, ``psnr`` (dB), ``ssim``, ``clipped_entries``,
``images``; the run's ``mode``, ``lambda``, ``lambda1``, ``c``, ``quality``, ``scale``; and
``simulated_accuracy`` (through the codec layers), ``train_seconds``, ``epochs``, ``params``.
"""

import os

import numpy as np

from keras_taskadapt.tasks.classify import input_shape, open_data, steps_per_epoch
from keras_taskadapt.tasks.options import add_data_options, add_run_options, add_training_options

CLASSIFIERS = ("resnet20", "resnet50", "wrn", "dct")


def add_jcc_options(parser):
    group = parser.add_argument_group("JCC")
    group.add_argument("--mode", choices=("jcc", "baseline"), default="jcc",
                       help="jcc: learn the tables with the classifier; baseline: fixed standard tables")
    group.add_argument("--quality", type=int, default=None,
                       help="standard-table quality 1..100 (baseline tables; JCC starts from it if given, "
                            "else from kernels of 1)")
    group.add_argument("--lam", type=float, default=1e-3, help="lambda, weight of L_Quan (default: 1e-3)")
    group.add_argument("--lam1", type=float, default=0.0, help="lambda1, weight of sum |q| (default: 0)")
    group.add_argument("--c", type=float, default=0.0, help="c, the free squared magnitude of q (default: 0)")
    group.add_argument("--scale", type=float, default=10.0,
                       help="S of section 2.3.1: DCT coefficients are divided by S (default: 10, the seed's CIFAR-10)")
    group.add_argument("--classifier-epochs", type=int, default=2, help="classifier epochs per alternation (2)")
    group.add_argument("--jpeg-epochs", type=int, default=1, help="JPEG-layer epochs per alternation (1)")
    group.add_argument("--jpeg-learning-rate", type=float, default=1e-3,
                       help="peak learning rate of the JPEG layers (default: 1e-3)")
    group.add_argument("--learn-color", action="store_true", help="also train the colour transform (2.4.3)")
    group.add_argument("--classifier", choices=CLASSIFIERS, default="resnet20",
                       help="resnet20 (CIFAR ResNet, CPU-sized; fig. 2.4 uses resnet50), resnet50, "
                            "wrn (WRN-depth-k, fig. 2.5), dct (DCT-domain ResNet fed by the quantized "
                            "coefficients, no reconstruction, fig. 2.6) (default: resnet20)")
    group.add_argument("--depth", type=int, default=None,
                       help="depth of resnet20 (6n + 2), wrn (6n + 4) or dct (14, 26, 50, 101, 152)")
    group.add_argument("--width", type=float, default=1.0,
                       help="channel multiplier (an integer for resnet20; default: 1)")
    group.add_argument("--wrn-k", type=int, default=10, help="WRN widening factor k (10 CIFAR-100, 1 Tiny ImageNet)")
    group.add_argument("--eval-examples", type=int, default=None,
                       help="score only the first N test images as real JPEG files (default: all)")


def add_train_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser, epochs=6, learning_rate=1e-3)
    add_jcc_options(parser)


def check_options(args):
    from keras_taskadapt.errors import UserError

    if args.mode == "baseline" and args.quality is None:
        raise UserError("--mode baseline needs --quality Q (1..100)")
    if args.quality is not None and not 1 <= args.quality <= 100:
        raise UserError(f"--quality must be 1..100, got {args.quality}")
    if min(args.lam, args.lam1, args.c) < 0 or args.scale <= 0:
        raise UserError("--lam, --lam1 and --c must be >= 0 and --scale > 0")


def build_classifier(args, num_classes, input_shape):
    """The classifier on reconstructed RGB images named by ``--classifier``."""
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.models import cifar_resnet, dct_domain_resnet, resnet50_cifar, wide_resnet

    if args.classifier == "dct":
        return dct_domain_resnet(num_classes, image_size=input_shape[:2], depth=args.depth or 50, width=args.width,
                                 weight_decay=args.weight_decay, name="classifier")
    if args.classifier == "resnet50":
        return resnet50_cifar(num_classes, input_shape, width=args.width, weight_decay=args.weight_decay,
                              name="classifier")
    if args.classifier == "wrn":
        return wide_resnet(num_classes, input_shape, depth=args.depth or 28, k=args.wrn_k,
                           weight_decay=args.weight_decay, name="classifier")
    if args.width != int(args.width):
        raise UserError(f"--width of resnet20 is an integer multiplier, got {args.width}")
    return cifar_resnet(num_classes, input_shape, depth=args.depth or 20, width=int(args.width),
                        weight_decay=args.weight_decay, name="classifier")


def build_model(args, num_classes, input_shape):
    """The codec (with the rate surrogate on its kernels) in front of the classifier.

    A DCT-domain classifier gets the encoder alone: it reads the quantized coefficients.
    """
    from keras_taskadapt.jpeg import JointCompressionClassifier, JpegCodec, JpegEncoder, QuantizationRate

    baseline = args.mode == "baseline"
    codec = (JpegEncoder if args.classifier == "dct" else JpegCodec)(
        initial_tables=args.quality,
        scale=1.0 if baseline else args.scale,
        learn_color=args.learn_color and not baseline,
        rate_penalty=None if baseline else QuantizationRate(args.lam, args.lam1, args.c),
        name="jpeg",
    )
    classifier = build_classifier(args, num_classes, input_shape)
    model = JointCompressionClassifier(codec, classifier, args.classifier_epochs, args.jpeg_epochs,
                                       train_jpeg=not baseline, name="jcc")
    model(np.zeros((1,) + tuple(input_shape), np.float32))  # build, so backups can be restored into it
    return model


def adam_with_cosine_decay(rate, total_steps):
    import keras

    if total_steps:
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps)
    return keras.optimizers.Adam(rate)


def run_options(args):
    """The JCC settings metrics.json repeats."""
    return {"mode": args.mode, "lambda": args.lam, "lambda1": args.lam1, "c": args.c,
            "quality": args.quality, "scale": args.scale if args.mode == "jcc" else 1.0}


def real_jpeg_metrics(model, test, eval_examples):
    """:func:`evaluate_real_jpeg` of the model's classifier with its codec's current tables."""
    from keras_taskadapt.jpeg import JpegCodec, evaluate_real_jpeg

    batches = test.unbatch().take(eval_examples).batch(256) if eval_examples else test
    domain = "pixels" if isinstance(model.codec, JpegCodec) else "dct"
    return evaluate_real_jpeg(model.classifier, model.codec.quantization.qtables(), batches.as_numpy_iterator(), domain)


def save_tables(run, model, title):
    from keras_taskadapt.jpeg import clip_to_baseline, plot_qtables, write_qtables_json

    tables, clipped = clip_to_baseline(model.codec.quantization.qtables())
    write_qtables_json(run.file("qtables.json"), tables, clipped_entries=clipped)
    plot_qtables(run.file("qtables.png"), tables, title=title)


def train_jcc(args, out):
    """Train one JCC or baseline model into ``out``; returns its metrics."""
    from keras_taskadapt.distribute import make_strategy
    from keras_taskadapt.experiment import fit_with_contract, run_bookkeeping, seed_everything
    from keras_taskadapt.jpeg import AlternatingPhases
    from keras_taskadapt.run_directory import RunDirectory

    check_options(args)
    run = RunDirectory(out)
    seed_everything(args.seed, args.deterministic_ops)
    source, train, test = open_data(args)
    steps = steps_per_epoch(args, source)
    with make_strategy(args.strategy).scope():
        model = build_model(args, source.num_classes, input_shape(args, source))
        total = args.epochs * steps if steps else None
        model.compile(
            optimizer=adam_with_cosine_decay(args.learning_rate, total),
            jpeg_optimizer=adam_with_cosine_decay(args.jpeg_learning_rate, total),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    run.write_config({**vars(args), "out": out})
    _, seconds = fit_with_contract(model, train, test, run=run, epochs=args.epochs, resume=args.resume,
                                   callbacks=[AlternatingPhases()], steps_per_epoch=args.steps_per_epoch)
    simulated = model.evaluate(test, return_dict=True, verbose=0)
    metrics = {
        **real_jpeg_metrics(model, test, args.eval_examples),
        **run_options(args),
        "simulated_accuracy": simulated["accuracy"],
        "params": model.classifier.count_params(),
        **run_bookkeeping(run, source, seconds),
    }
    save_tables(run, model, f"{args.mode} on {source.name}")
    return run.finish(model, metrics)


def summary_line(metrics):
    return (f"accuracy {metrics['accuracy']:.4f} on real JPEG files at {metrics['kb_per_image']:.3f} KiB/image "
            f"({metrics['bpp']:.2f} bpp, PSNR {metrics['psnr']:.2f} dB, SSIM {metrics['ssim']:.3f}, "
            f"{metrics['clipped_entries']} clipped table entries)")


def train(args):
    metrics = train_jcc(args, args.out)
    print(summary_line(metrics) + f"; results in {args.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a .keras JCC model written by train jcc")
    add_data_options(parser)
    add_run_options(parser)
    parser.add_argument("--eval-examples", type=int, default=None, help="score only the first N test images")


def load_jcc_model(path):
    from export.keras_file import load_keras_model
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.jpeg import JointCompressionClassifier

    model = load_keras_model(path)
    if not isinstance(model, JointCompressionClassifier):
        raise UserError(f"--model {path}: not a JCC model (written by train jcc)")
    return model


def evaluate(args):
    from keras_taskadapt.data import load_dataset, open_dataset
    from keras_taskadapt.run_directory import RunDirectory

    run = RunDirectory(args.out)
    model = load_jcc_model(args.model)
    source = open_dataset(args.dataset, data_dir=args.data_dir, skip_corrupt=args.skip_corrupt)
    test = load_dataset(source=source, split="test", batch_size=args.batch_size, image_size=args.image_size)
    metrics = {**real_jpeg_metrics(model, test, args.eval_examples), "dataset": source.name,
               "model": os.path.abspath(args.model)}
    run.write_config(vars(args))
    run.write_metrics(metrics)
    print(summary_line(metrics) + f"; results in {args.out}")


def add_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.add_argument("--qualities", type=int, nargs="*", default=[10, 25, 50, 75, 90],
                        help="JPEG baseline quality factors (default: 10 25 50 75 90)")
    parser.add_argument("--lambdas", type=float, nargs="*", default=[1e-4, 1e-3, 1e-2],
                        help="JCC lambda values (default: 1e-4 1e-3 1e-2)")


SWEEP_COLUMNS = ("mode", "quality", "lambda", "lambda1", "c", "accuracy", "kb_per_image", "bpp", "psnr", "ssim",
                 "clipped_entries", "simulated_accuracy", "train_seconds")


def sweep(args):
    """Baselines over ``--qualities`` and JCC over ``--lambdas``, same classifier and budget."""
    from keras_taskadapt.run_directory import RunDirectory, write_csv, write_json

    run = RunDirectory(args.out)
    settings = [("baseline", quality, args.lam) for quality in args.qualities]
    settings += [("jcc", None, lam) for lam in args.lambdas]
    rows = []
    for mode, quality, lam in settings:
        args.mode, args.quality, args.lam = mode, quality, lam
        name = f"baseline_q{quality}" if mode == "baseline" else f"jcc_lambda{lam:g}"
        metrics = train_jcc(args, os.path.join(args.out, name))
        rows.append({column: metrics[column] for column in SWEEP_COLUMNS})
        print(f"{name}: " + summary_line(metrics), flush=True)
    write_csv(run.file("sweep.csv"), rows)
    plot_rate_curves(rows, run)
    write_json(run.file("metrics.json"), {"runs": len(rows), "baselines": len(args.qualities),
                                          "jcc_runs": len(args.lambdas)})


def plot_rate_curves(rows, run):
    """Rate-accuracy, rate-PSNR and rate-SSIM curves, JCC against the JPEG baseline (figs. 2.7-2.9)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keras_taskadapt.run_directory import save_figure

    for metric, label in (("accuracy", "test accuracy (real JPEG files)"), ("psnr", "PSNR (dB)"), ("ssim", "SSIM")):
        figure, axis = plt.subplots(figsize=(5.5, 4))
        for mode, marker in (("baseline", "s"), ("jcc", "o")):
            points = sorted((row["kb_per_image"], row[metric]) for row in rows if row["mode"] == mode)
            if points:
                axis.plot(*zip(*points), marker=marker, label="JPEG standard" if mode == "baseline" else "JCC")
        axis.set_xlabel("KiB per image (real files, optimized Huffman)")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend()
        save_figure(figure, run.file(f"rate_{metric}.png"), dpi=110)


COMMANDS = {
    ("train", "jcc"): (add_train_arguments, train, "JPEG layers + classifier, learned tables (JCC) or a baseline"),
    ("evaluate", "jcc"): (add_evaluate_arguments, evaluate, "score a JCC model on real JPEG files"),
    ("sweep", "jcc"): (add_sweep_arguments, sweep, "baselines over qualities, JCC over lambdas: rate curves"),
}
