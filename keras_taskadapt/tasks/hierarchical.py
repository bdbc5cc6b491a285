"""``hierarchical``: split auto-encoders trained hierarchically (seed 000 chapter 3, seeds 001
and 002; :mod:`keras_taskadapt.hierarchical`).

``train hierarchical`` trains the wavelet-domain auto-encoder of figure 3.3 with one strategy
(``--training e2e|joint|duphil|three-step``), from scratch or from a trained model
(``--init``, e.g. the CE-T baseline, optionally truncated to ``--truncate-to`` latent
entries first), then measures the deployed pipeline on the test split: the encoder's
latents rounded, coded as one range-coded stream per image with per-entry models fitted on
the training split, decoded bit-exactly and classified. ``--quantization-scales`` adds the
entropy-accuracy curve of eq. (3.8) (figures 3.7 and 3.10). ``--architecture classifier``
trains the lightweight wavelet-domain classifier of figure 3.1 instead (table 3.1, figure
3.5; no quantizer, its side branch pools the module-2 map) with the same strategies and
measures its test accuracy, parameters and FLOPs: no latent, so no range coder, rate curve,
truncation or decoder retraining. ``sweep latent-dim`` is the screening of section 3.3.2:
keras-tuner trains one E2E model per ``dy`` and picks the most accurate.

Robustness studies (section 3.4): ``train`` on corrupted labels (``--label-corruption``) or an
imbalanced training set (``--imbalance-classes``/``--imbalance-remove``); ``train --init MODEL
--decoder-retrain kl|svm`` freezes MODEL's encoder and replaces its decoder by a new one
trained with KL-divergence or by a linear SVM, in place of ``--training``; ``evaluate
--distortions`` measures the deployed pipeline on distorted test images.

metrics.json keys of ``train``: ``accuracy`` (test, through the real bit streams), ``loss``
(test cross-entropy), ``total_entropy_bits`` (Gaussian total entropy of the quantized test
latent), ``bits_per_image`` (mean size of the per-image streams, header included),
``amortised_bits_per_image`` (one stream of the whole test split over its images),
``ideal_bits_per_image`` (the information content), ``bpp`` (``bits_per_image`` per pixel
of the input image), ``latent_dim``, ``params`` and ``flops`` (deployed encoder and decoder),
``encoder_params``, ``encoder_flops``, ``training``, ``entropy_model``, ``train_seconds``,
``epochs``, ``train_examples``, ``test_examples``, ``skipped_records``, ``dataset``; of the
robustness studies: ``label_corruption`` (the ratio asked for), ``corrupted_fraction`` (of
the training labels actually wrong), ``corruption_seed``; ``imbalance_classes`` (label
indices), ``imbalance_removed`` (examples removed from each), ``accuracy_minority`` and
``accuracy_majority`` (test accuracy on those classes and on the others, tables 3.2-3.3);
``decoder_retrain`` (``kl`` or ``svm``; ``training`` is then ``kl-decoder`` or
``svm-decoder`` and ``accuracy`` the new decoder's, through the same bit streams).

The classifier's metrics.json has ``accuracy``, ``loss``, ``params``, ``flops``,
``encoder_params``, ``encoder_flops`` and the keys from ``training`` on, no rate keys; both
architectures write ``architecture`` (``split-ae`` or ``classifier``, that of the ``--init``
model by default).

``evaluate`` writes the same keys, and with ``--distortions`` ``distortions.csv`` (one row
per distortion and a clean row ``none``), ``distortions.png`` and ``accuracy_<distortion>``.
"""

import argparse
import os

from keras_taskadapt.commands.options import add_data_options, add_output_options, add_run_options
from keras_taskadapt.commands.options import add_training_options, count, data_arguments, evaluation_data
from keras_taskadapt.commands.options import non_negative, positive, training_data
from keras_taskadapt.commands.registry import command

#: Options that need the quantized latent of the split auto-encoder: {attribute: option}.
LATENT_OPTIONS = {"quantization_scales": "--quantization-scales", "truncate_to": "--truncate-to",
                  "decoder_retrain": "--decoder-retrain", "distortions": "--distortions"}
#: The option that sets each distortion's strength, with its meaning.
STRENGTH_OPTIONS = {"crop": ("--crop-fraction", "fraction of each side cropped away before resizing back"),
                    "jitter": ("--jitter-strength", "s of the contrast and saturation factors in [1-s, 1+s] "
                                                    "and of a brightness shift up to s/2 of the range"),
                    "noise": ("--noise-amplitude", "half-width of the uniform noise, as a fraction of 255"),
                    "rotate": ("--rotation-degrees", "largest rotation in degrees")}


def add_model_options(parser):
    group = parser.add_argument_group("model (figures 3.1 and 3.3)")
    group.add_argument("--depth", type=int, choices=(18, 34), default=18,
                       help="ResNet-18 or -34 back-bone (default: 18)")
    group.add_argument("--width", type=positive, default=0.25,
                       help="channel multiplier; 1 is the seed's network, 0.25 CPU-sized (default: 0.25)")
    group.add_argument("--latent-dim", type=count, default=64, help="dy, entries of the latent (default: 64)")
    group.add_argument("--hidden-units", type=count, default=None,
                       help="units of the latent encoder's first dense layer (default: max(module-2 width, dy))")
    group.add_argument("--side-dim", type=count, default=128, help="dimension of the LDR codes z (default: 128)")
    group.add_argument("--wavelet", default="bior4.4", help="DWT wavelet: bior4.4 (CDF 9/7), bior2.2, haar")
    return group


def add_strategy_options(parser):
    from keras_taskadapt.hierarchical.latent import TRUNCATIONS
    from keras_taskadapt.hierarchical.training import STRATEGIES

    group = parser.add_argument_group("hierarchical training")
    group.add_argument("--training", "--strategy-name", dest="training", choices=STRATEGIES.names(), default=None,
                       help=f"{STRATEGIES.describe()} (default: e2e)")
    group.add_argument("--ldr-batch-size", type=count, default=None,
                       help="batch size of the LDR phases, a multiple of --batch-size, which the CE phases use "
                            "(seed: 1000; default: --batch-size)")
    group.add_argument("--ldr-eps", type=positive, default=None,
                       help="precision eps of the LDR loss (default: sqrt(0.5))")
    group.add_argument("--lam", type=non_negative, default=1.0, help="lambda of the joint loss (default: 1)")
    group.add_argument("--decoder-learning-rate", type=positive, default=1e-3,
                       help="learning rate of DuPHiL phase 2 (default: 1e-3)")
    group.add_argument("--finetune-learning-rate", type=positive, default=1e-4,
                       help="learning rate of three-step step 3 (default: 1e-4)")
    group.add_argument("--step-epochs", type=int, nargs=3, default=(2, 2, 1), metavar=("S1", "S2", "S3"),
                       help="three-step: epochs of the three steps, replacing --epochs (default: 2 2 1)")
    group.add_argument("--views", type=count, default=4,
                       help="three-step: views per image in the self-supervised LDR (default: 4)")
    group.add_argument("--init", default=None, help="a model.keras written by train hierarchical to start from")
    group.add_argument("--truncate-to", type=count, default=None,
                       help="keep only this many latent entries (then fine-tune with --training)")
    group.add_argument("--truncate-by", choices=TRUNCATIONS, default="last",
                       help="remove the last entries or the least discriminative ones (default: last)")


def add_rate_options(parser):
    from keras_taskadapt.hierarchical.latent import MODELS

    group = parser.add_argument_group("rate")
    group.add_argument("--entropy-model", choices=MODELS, default="histogram",
                       help="per-entry model of the range coder, fitted on the training split (default: histogram)")
    group.add_argument("--coder-examples", type=count, default=None,
                       help="training images the coder's models are fitted on (default: all)")
    group.add_argument("--quantization-scales", type=positive, nargs="*", default=[],
                       help="scales s of q_i = s H(y_i) (eq. 3.8) for the entropy-accuracy curve")


def add_robustness_options(parser):
    from keras_taskadapt.hierarchical.model_setup import DECODER_RETRAINS

    group = parser.add_argument_group("robustness studies (section 3.4.1)")
    group.add_argument("--label-corruption", type=non_negative, default=0.0, metavar="RATIO",
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
    group.add_argument("--kl-label-smoothing", type=non_negative, default=0.0,
                       help="kl: smoothing a of the targets (1-a) onehot + a/K (default: 0, one-hot)")
    group.add_argument("--svm-c", type=positive, default=1.0, help="svm: regularisation C of LinearSVC (default: 1)")


def add_train_arguments(parser):
    from keras_taskadapt.hierarchical.model_setup import ARCHITECTURES

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


def check_options(options):
    """Option combinations the parser cannot check on its own."""
    from keras_taskadapt.core.errors import TaskAdaptError

    if options.ldr_batch_size is not None and options.ldr_batch_size % options.batch_size:
        raise TaskAdaptError(f"must be a multiple of the batch size ({options.batch_size}). Received: "
                             f"ldr_batch_size={options.ldr_batch_size}", parameter="ldr_batch_size")
    if options.init is not None and not os.path.isfile(options.init):
        raise TaskAdaptError(f"{options.init}: no such file", parameter="init")
    if options.decoder_retrain is not None and options.init is None:
        raise TaskAdaptError("decoder re-training needs the trained model whose encoder it freezes (--init MODEL)",
                             parameter="decoder_retrain")
    if options.architecture is not None:
        check_architecture(options, options.architecture)


def check_architecture(options, architecture):
    """The classifier of figure 3.1 has no quantized latent: refuse the options that need one."""
    from keras_taskadapt.core.errors import TaskAdaptError

    given = [option for name, option in LATENT_OPTIONS.items() if getattr(options, name, None)]
    if architecture == "classifier" and given:
        raise TaskAdaptError(f"{', '.join(given)}: the classifier of figure 3.1 has no quantized latent "
                             "(--architecture split-ae)")


def init_architecture(options, model):
    """The architecture of the ``--init`` model, checked against ``--architecture`` and the latent options."""
    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.hierarchical.model_setup import architecture_of

    architecture = architecture_of(model)
    if options.architecture not in (None, architecture):
        raise TaskAdaptError(f"the --init model is a {architecture}", parameter="architecture")
    check_architecture(options, architecture)
    return architecture


def train_hierarchical(options, out, **overrides):
    """Train one hierarchical model into ``out`` (``overrides`` replace options); returns its metrics."""
    import time

    from keras_taskadapt.data import open_image_source
    from keras_taskadapt.experiment import RunSettings, run_training
    from keras_taskadapt.hierarchical.evaluation import evaluation_metrics, group_metrics
    from keras_taskadapt.hierarchical.latents import collect_latents
    from keras_taskadapt.hierarchical.model_setup import (
        ArchitectureConfig,
        StrategyConfig,
        initial_parts,
        load_hierarchical,
    )
    from keras_taskadapt.hierarchical.robustness.training_sets import robust_training_set
    from keras_taskadapt.phases import PhaseSchedule

    options = argparse.Namespace(**{**vars(options), **overrides})
    check_options(options)
    strategy = StrategyConfig.from_options(options)
    state = {}

    def open_data():
        source, state["robustness"] = robust_training_set(
            open_image_source(**data_arguments(options)), label_corruption=options.label_corruption,
            corruption_seed=options.corruption_seed, imbalance_classes=options.imbalance_classes,
            imbalance_remove=options.imbalance_remove, seed=options.seed)
        return training_data(options, source=source, train_batch_size=options.ldr_batch_size or options.batch_size)

    def build(data):
        init = load_hierarchical(options.init) if options.init else None
        if init is not None:
            init_architecture(options, init)
        parts = initial_parts(ArchitectureConfig.from_options(options), data.source.num_classes, data.input_shape,
                              init=init, truncate_to=options.truncate_to, truncate_by=options.truncate_by,
                              plain_train=data.plain_train, truncation_examples=options.coder_examples)
        if options.decoder_retrain != "svm":
            return strategy.build(parts)
        started = time.perf_counter()
        latents, labels = collect_latents(parts.encoder, data.plain_train)
        model = strategy.svm_decoder_model(parts, latents, labels, data.source.num_classes)
        state["svm_seconds"] = time.perf_counter() - started
        return model

    def evaluate(model, data, run):
        metrics, _ = evaluation_metrics(model, data, run, strategy.label, coder_examples=options.coder_examples,
                                        entropy_model=options.entropy_model, scales=options.quantization_scales)
        metrics.update(training=strategy.label, **state["robustness"])
        if options.decoder_retrain is not None:
            metrics["decoder_retrain"] = options.decoder_retrain
        if options.imbalance_classes is not None:
            metrics.update(group_metrics(model, data.test, state["robustness"]["imbalance_classes"]))
        return metrics

    return run_training(
        RunSettings.from_options(options, out=out),
        open_data=open_data,
        build=build,
        evaluate=evaluate,
        callbacks=lambda model: [PhaseSchedule()],
        epochs=lambda model: strategy.epochs(model, options.epochs),
        fit=(lambda model, data, run: state["svm_seconds"]) if options.decoder_retrain == "svm" else None,
        config={**vars(options), "training": strategy.training},
    )


@command("train", "hierarchical",
         "wavelet-domain split auto-encoder (real bits) or classifier; E2E/joint/DuPHiL/3-step", add_train_arguments)
def train(options):
    from keras_taskadapt.hierarchical.evaluation import summary_line

    metrics = train_hierarchical(options, options.out)
    print(summary_line(metrics) + f"; results in {options.out}")


def add_distortion_options(parser):
    from keras_taskadapt.hierarchical.robustness import DEFAULT_STRENGTHS, DISTORTIONS

    group = parser.add_argument_group("distortion tests (section 3.4.2)")
    group.add_argument("--distortions", nargs="+", choices=DISTORTIONS, default=[],
                       help="measure the deployed pipeline on test images distorted by each of these, seeded "
                            "by --seed (flip: mirrored with probability 1/2)")
    for name, (option, meaning) in STRENGTH_OPTIONS.items():
        group.add_argument(option, dest=f"{name}_strength", type=float, default=DEFAULT_STRENGTHS[name],
                           help=f"{name}: {meaning} (default: {DEFAULT_STRENGTHS[name]:g})")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train hierarchical")
    add_data_options(parser, default=None)
    add_output_options(parser)
    add_rate_options(parser)
    add_distortion_options(parser)


def distortion_strengths(options):
    """``{distortion: strength}`` of ``--distortions`` (``None`` for flip), checked."""
    from keras_taskadapt.hierarchical.robustness import check_strength

    strengths = {name: getattr(options, f"{name}_strength", None) for name in dict.fromkeys(options.distortions)}
    for name, strength in strengths.items():
        check_strength(name, strength)
    return strengths


@command("evaluate", "hierarchical", "real bits, entropy and accuracy (params, FLOPs) of a saved hierarchical model",
         add_evaluate_arguments)
def evaluate(options):
    """Rate and accuracy of a saved model's deployed pipeline on a data set (and its curve);
    accuracy, parameters and FLOPs of a classifier (figure 3.1)."""
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.experiment import data_bookkeeping
    from keras_taskadapt.hierarchical.evaluation import distortion_metrics, evaluation_metrics, summary_line
    from keras_taskadapt.hierarchical.model_setup import check_model_data, load_hierarchical

    strengths = distortion_strengths(options)
    model = load_hierarchical(options.model)
    init_architecture(argparse.Namespace(**{**vars(options), "architecture": None}), model)
    run = RunDirectory(options.out)
    data = evaluation_data(options, options.model)
    check_model_data(model, "the model", data.input_shape, parameter="model")
    metrics, codec = evaluation_metrics(model, data, run, model.name, coder_examples=options.coder_examples,
                                        entropy_model=options.entropy_model, scales=options.quantization_scales)
    metrics.update(**data_bookkeeping(data.source), model=os.path.abspath(options.model))
    if options.distortions:
        metrics.update(distortion_metrics(codec, data.test, strengths, data.image_pixels, run, seed=options.seed))
    run.write_config(vars(options))
    run.write_metrics(metrics)
    print(summary_line(metrics) + f"; results in {options.out}")


def add_sweep_arguments(parser):
    add_data_options(parser)
    add_run_options(parser)
    add_training_options(parser, epochs=4, learning_rate=1e-3)
    add_model_options(parser)
    parser.add_argument("--latent-dims", type=count, nargs="+", default=[32, 64, 128, 256, 512],
                        help="latent dimensions dy to screen (default: 32 64 128 256 512, section 3.3.2)")


@command("sweep", "latent-dim", "screen latent dimensions dy with quick E2E CE training (keras-tuner)",
         add_sweep_arguments)
def sweep_latent_dim(options):
    """Section 3.3.2's screening (:func:`~keras_taskadapt.hierarchical.screening.screen_latent_dims`)."""
    from keras_taskadapt.experiment import seed_everything
    from keras_taskadapt.hierarchical.model_setup import ArchitectureConfig
    from keras_taskadapt.hierarchical.screening import screen_latent_dims

    seed_everything(options.seed, options.deterministic_ops)
    data = training_data(options)
    best = screen_latent_dims(ArchitectureConfig.from_options(options), data, options.latent_dims, options.out,
                              epochs=options.epochs, steps_per_epoch=options.steps_per_epoch,
                              learning_rate=options.learning_rate, resume=options.resume, seed=options.seed,
                              config=vars(options))
    print(f"best: dy = {best['latent_dim']} with accuracy {best['accuracy']:.4f}; table in "
          f"{os.path.join(options.out, 'sweep.csv')}")


def add_hierarchical_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.set_defaults(quantization_scales=[0.25, 0.5, 1, 2, 4])
    group = parser.add_argument_group("sweep")
    group.add_argument("--duphil-epochs", type=count, default=4,
                       help="Keras epochs of DuPHiL from the CE-T model, two per DuPHiL epoch (default: 4)")
    group.add_argument("--ldr-learning-rate", type=positive, default=1e-4,
                       help="learning rate of the runs from the CE-T model (default: 1e-4)")


@command("sweep", "hierarchical", "CE-T, DuPHiL, LDR-FT and truncated models on one budget: entropy-accuracy curves",
         add_hierarchical_sweep_arguments)
def sweep_hierarchical(options):
    """The six runs of :mod:`keras_taskadapt.hierarchical.sweep`, each in its folder of ``--out``,
    every one with its entropy-accuracy curve over ``--quantization-scales``; with ``--resume`` a
    finished run (its ``metrics.json`` present) is read instead of trained again."""
    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.core.progress import announced
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.hierarchical.evaluation import summary_line
    from keras_taskadapt.hierarchical.sweep import finished_run, planned_runs, sweep_rows, write_sweep

    if options.init is not None:
        raise TaskAdaptError("sweep hierarchical trains its own CE-T model; --init is for train hierarchical",
                             parameter="init")
    check_options(options)
    run = RunDirectory(options.out)
    rows, curves = [], {}
    plan = planned_runs(options.out, latent_dim=options.latent_dim, truncate_to=options.truncate_to,
                        step_epochs=options.step_epochs, duphil_epochs=options.duphil_epochs,
                        ldr_learning_rate=options.ldr_learning_rate)
    for name, overrides in announced(plan):
        folder = os.path.join(options.out, name)
        finished = finished_run(folder) if options.resume else None
        if finished is None:
            train_hierarchical(options, folder, **overrides, resume=False)
            finished = finished_run(folder)
        metrics, curve = finished
        rows += sweep_rows(name, metrics, curve)
        curves[name] = curve or [metrics]
        print(f"{name}: " + summary_line(metrics), flush=True)
    write_sweep(run, rows, curves)
    print(f"table in {run.file('sweep.csv')}")
