"""``jcc``: JPEG inside the network (seed 000, chapter 2; :mod:`keras_taskadapt.jpeg`).

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

from keras_taskadapt.commands.options import add_backbone_options, add_data_options, add_output_options, add_run_options
from keras_taskadapt.commands.options import add_training_options, count, evaluation_data, non_negative, positive
from keras_taskadapt.commands.options import training_data
from keras_taskadapt.commands.registry import command


def add_jcc_options(parser):
    from keras_taskadapt.jpeg.jcc_config import MODES, classifier_names

    group = parser.add_argument_group("JCC")
    group.add_argument("--mode", choices=MODES, default="jcc",
                       help="jcc: learn the tables with the classifier; baseline: fixed standard tables")
    group.add_argument("--quality", type=int, default=None,
                       help="standard-table quality 1..100: the baseline's tables (JCC starts from them if given)")
    group.add_argument("--init-quality", type=int, default=50,
                       help="JCC: start the kernels from the standard tables of this quality, as the seed starts "
                            "from meaningful tables; 0 starts from kernels of 1 (section 2.3.5) (default: 50)")
    group.add_argument("--lam", type=non_negative, default=1e-2, help="lambda, weight of L_Quan (default: 1e-2)")
    group.add_argument("--lam1", type=non_negative, default=0.0, help="lambda1, weight of sum |q| (default: 0)")
    group.add_argument("--c", type=non_negative, default=0.0, help="c, the free squared magnitude of q (default: 0)")
    group.add_argument("--scale", type=positive, default=10.0,
                       help="S of section 2.3.1: DCT coefficients are divided by S (default: 10, the seed's CIFAR-10)")
    group.add_argument("--classifier-epochs", type=count, default=2, help="classifier epochs per alternation (2)")
    group.add_argument("--jpeg-epochs", type=count, default=1, help="JPEG-layer epochs per alternation (1)")
    group.add_argument("--jpeg-learning-rate", type=positive, default=1e-2,
                       help="peak learning rate of the JPEG layers (default: 1e-2)")
    group.add_argument("--learn-color", action="store_true", help="also train the colour transform (2.4.3)")
    add_backbone_options(group, classifier_names(),
                         "resnet20 (CIFAR ResNet, CPU-sized; fig. 2.4 uses resnet50), resnet50, wrn (WRN-depth-k, "
                         "fig. 2.5), dct (DCT-domain ResNet fed by the quantized coefficients, no reconstruction, "
                         "fig. 2.6)", "depth of resnet20 (6n + 2), wrn (6n + 4) or dct (14, 26, 50, 101, 152)")
    group.add_argument("--eval-examples", type=count, default=None,
                       help="score only the first N test images as real JPEG files (default: all)")


def add_train_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser, epochs=7, learning_rate=1e-3)
    add_jcc_options(parser)


def train_jcc(options, out, **overrides):
    """Train one JCC or baseline model into ``out`` (``overrides`` replace options); returns its metrics."""
    from keras_taskadapt.experiment import RunSettings, run_training
    from keras_taskadapt.jpeg.jcc_config import JccConfig, real_jpeg_metrics, save_learned_tables
    from keras_taskadapt.phases import PhaseSchedule

    config = JccConfig.from_options(options, **overrides)

    def build(data):
        model = config.build(data.source.num_classes, data.input_shape)
        return config.compile(model, data.total_steps(options.epochs))

    def evaluate(model, data, run):
        save_learned_tables(model, run.file("qtables.json"), run.file("qtables.png"),
                            f"{config.mode} on {data.source.name}")
        return {**real_jpeg_metrics(model, data.test, options.eval_examples), **config.run_keys(),
                "simulated_accuracy": model.evaluate(data.test, return_dict=True, verbose=0)["accuracy"],
                "params": model.classifier.count_params()}

    return run_training(
        RunSettings.from_options(options, out=out),
        open_data=lambda: training_data(options),
        build=build,
        evaluate=evaluate,
        callbacks=lambda model: [PhaseSchedule()],
        config={**vars(options), **overrides},
    )


@command("train", "jcc", "JPEG layers + classifier, learned tables (JCC) or a baseline", add_train_arguments)
def train(options):
    from keras_taskadapt.jpeg.jcc_config import summary_line

    metrics = train_jcc(options, options.out)
    print(summary_line(metrics) + f"; results in {options.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a .keras JCC model written by train jcc")
    add_data_options(parser, default=None)
    add_output_options(parser)
    parser.add_argument("--eval-examples", type=count, default=None, help="score only the first N test images")


@command("evaluate", "jcc", "score a JCC model on real JPEG files", add_evaluate_arguments)
def evaluate(options):
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.jpeg.jcc_config import check_input_shape, load_jcc_model, real_jpeg_metrics, summary_line

    model = load_jcc_model(options.model)
    data = evaluation_data(options, options.model)
    check_input_shape(model.classifier, data, options.model)
    run = RunDirectory(options.out)
    metrics = {**real_jpeg_metrics(model, data.test, options.eval_examples), "dataset": data.source.name,
               "model": os.path.abspath(options.model)}
    run.write_config(vars(options))
    run.write_metrics(metrics)
    print(summary_line(metrics) + f"; results in {options.out}")


def add_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.add_argument("--qualities", type=int, nargs="*", default=[10, 25, 50, 75, 90],
                        help="JPEG baseline quality factors (default: 10 25 50 75 90)")
    parser.add_argument("--lambdas", type=non_negative, nargs="*", default=[1e-4, 1e-3, 1e-2],
                        help="JCC lambda values (default: 1e-4 1e-3 1e-2)")


SWEEP_COLUMNS = ("mode", "quality", "lambda", "lambda1", "c", "accuracy", "kb_per_image", "bpp", "psnr", "ssim",
                 "clipped_entries", "simulated_accuracy", "train_seconds")


@command("sweep", "jcc", "baselines over qualities, JCC over lambdas: rate curves", add_sweep_arguments)
def sweep(options):
    """Baselines over ``--qualities`` and JCC over ``--lambdas``, same classifier and budget."""
    from keras_taskadapt.core.files import write_csv, write_json
    from keras_taskadapt.core.progress import announced
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.jpeg.jcc_config import plot_rate_curves, summary_line

    run = RunDirectory(options.out)
    settings = [("baseline", quality, options.lam) for quality in options.qualities]
    settings += [("jcc", None, lam) for lam in options.lambdas]
    named = [(f"baseline_q{quality}" if mode == "baseline" else f"jcc_lambda{lam:g}", (mode, quality, lam))
             for mode, quality, lam in settings]
    rows = []
    for name, (mode, quality, lam) in announced(named):
        metrics = train_jcc(options, os.path.join(options.out, name), mode=mode, quality=quality, lam=lam)
        rows.append({column: metrics[column] for column in SWEEP_COLUMNS})
        print(f"{name}: " + summary_line(metrics), flush=True)
    write_csv(run.file("sweep.csv"), rows)
    plot_rate_curves(rows, run.path)
    write_json(run.file("metrics.json"), {"runs": len(rows), "baselines": len(options.qualities),
                                          "jcc_runs": len(options.lambdas)})
