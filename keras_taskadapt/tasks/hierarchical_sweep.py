"""``sweep hierarchical``: the experiments of seed 000 section 3.4.2 on one budget.

Six runs of ``train hierarchical``, each in its own folder of ``--out``:

============================  ==========================================================
``ce-t``                      the "CE-trained" baseline: E2E cross-entropy from scratch
                              (``--epochs``)
``duphil``                    DuPHiL from the CE-T model (``--duphil-epochs``)
``ldr-ft``                    three-step training from the CE-T model, the "LDR-fine-tuned"
                              model (``--step-epochs``)
``ce-t-continued``            the control of equal budget: the CE-T model trained E2E with CE
                              for as many more epochs as the three steps take
``ce-t-truncated``            the CE-T model with its last half of latent entries removed
                              (``--truncate-to``), fine-tuned E2E with CE for as many epochs as
                              the three steps take
``ldr-ft-truncated``          the same truncated model fine-tuned with the three steps
============================  ==========================================================

The runs from the CE-T model train at ``--ldr-learning-rate`` (their LDR phases; the CE
epochs of the control and the truncated CE-T model), a fine-tuning rate below the baseline's
``--learning-rate`` as in section 3.4 (SGD at 0.1 for the baseline, 0.001 for the LDR phase).
Every run measures its entropy-accuracy curve over ``--quantization-scales`` (eq. (3.8)).
Writes ``sweep.csv`` (one row per run and scale; ``scale`` empty for the unit steps the
model was trained with), ``entropy_accuracy.png`` (CE-T, DuPHiL, LDR-FT and the control: figure 3.10),
``truncated_entropy_accuracy.png`` (truncated CE-T against truncated LDR-FT: figure 3.11),
``bpp_accuracy.png`` (every run against real bits per pixel) and ``metrics.json``. With
``--resume`` a finished run (its ``metrics.json`` present) is read instead of trained again.
"""

import argparse
import csv
import json
import os

from keras_taskadapt.tasks import hierarchical

#: Columns of sweep.csv besides ``run`` and ``scale``.
RATE_COLUMNS = ("accuracy", "total_entropy_bits", "bits_per_image", "bpp", "latent_dim")
#: Runs of figure 3.10 (and the equal-budget control) and of figure 3.11.
FULL_RUNS = ("ce-t", "duphil", "ldr-ft", "ce-t-continued")
TRUNCATED_RUNS = ("ce-t-truncated", "ldr-ft-truncated")


def add_arguments(parser):
    hierarchical.add_train_arguments(parser)
    parser.set_defaults(quantization_scales=[0.25, 0.5, 1, 2, 4])
    group = parser.add_argument_group("sweep")
    group.add_argument("--duphil-epochs", type=int, default=4,
                       help="Keras epochs of DuPHiL from the CE-T model, two per DuPHiL epoch (default: 4)")
    group.add_argument("--ldr-learning-rate", type=float, default=1e-4,
                       help="learning rate of the runs from the CE-T model (default: 1e-4)")


def planned_runs(args):
    """``(name, overrides of args)`` of the six runs; the later ones start from ``ce-t``."""
    baseline = os.path.join(args.out, "ce-t", "model.keras")
    truncate_to = args.truncate_to or max(1, args.latent_dim // 2)
    fine_tune = {"init": baseline, "learning_rate": args.ldr_learning_rate}
    return [
        ("ce-t", {"training": "e2e", "init": None, "truncate_to": None}),
        ("duphil", {**fine_tune, "training": "duphil", "truncate_to": None, "epochs": args.duphil_epochs}),
        ("ldr-ft", {**fine_tune, "training": "three-step", "truncate_to": None}),
        ("ce-t-continued", {**fine_tune, "training": "e2e", "truncate_to": None, "epochs": sum(args.step_epochs)}),
        ("ce-t-truncated", {**fine_tune, "training": "e2e", "truncate_to": truncate_to,
                            "epochs": sum(args.step_epochs)}),
        ("ldr-ft-truncated", {**fine_tune, "training": "three-step", "truncate_to": truncate_to}),
    ]


def run_or_reuse(args, name, overrides):
    """Metrics and curve rows of one run: trained, or read back under ``--resume`` when finished."""
    out = os.path.join(args.out, name)
    metrics_path = os.path.join(out, "metrics.json")
    if not (args.resume and os.path.isfile(metrics_path)):
        hierarchical.train_hierarchical(argparse.Namespace(**{**vars(args), **overrides, "resume": False}), out)
    with open(metrics_path) as handle:
        metrics = json.load(handle)
    curve_path = os.path.join(out, "rate_curve.csv")
    curve = []
    if os.path.isfile(curve_path):
        with open(curve_path, newline="") as handle:
            curve = [{key: float(value) for key, value in row.items()} for row in csv.DictReader(handle)]
    return metrics, curve


def sweep(args):
    from keras_taskadapt.errors import UserError
    from keras_taskadapt.latent import plot_rate_accuracy
    from keras_taskadapt.run_directory import RunDirectory, write_csv, write_json

    if args.duphil_epochs < 1 or args.ldr_learning_rate <= 0:
        raise UserError("--duphil-epochs must be >= 1 and --ldr-learning-rate positive")
    if args.init is not None:
        raise UserError("sweep hierarchical trains its own CE-T model; --init is for train hierarchical")
    hierarchical.check_options(args)
    run = RunDirectory(args.out)
    rows, curves = [], {}
    for name, overrides in planned_runs(args):
        metrics, curve = run_or_reuse(args, name, overrides)
        rows.append({"run": name, "scale": "", **{column: metrics[column] for column in RATE_COLUMNS}})
        rows += [{"run": name, "scale": point["scale"], **{column: point[column] for column in RATE_COLUMNS
                                                           if column != "latent_dim"},
                  "latent_dim": metrics["latent_dim"]} for point in curve]
        curves[name] = curve or [metrics]
        print(f"{name}: " + hierarchical.summary_line(metrics), flush=True)
    write_csv(run.file("sweep.csv"), rows)
    labels = {"ce-t": "CE-T", "duphil": "DuPHiL", "ldr-ft": "LDR-FT", "ce-t-continued": "CE-T (+ CE epochs)",
              "ce-t-truncated": "CE-T (truncated)",
              "ldr-ft-truncated": "LDR-FT (truncated)"}
    plot_rate_accuracy({labels[name]: curves[name] for name in FULL_RUNS}, run.file("entropy_accuracy.png"))
    plot_rate_accuracy({labels[name]: curves[name] for name in TRUNCATED_RUNS},
                       run.file("truncated_entropy_accuracy.png"))
    plot_rate_accuracy({labels[name]: curve for name, curve in curves.items()}, run.file("bpp_accuracy.png"),
                       rate="bpp")
    trained = [row for row in rows if row["scale"] == ""]
    write_json(run.file("metrics.json"), {f"{row['run']}_{column}": row[column] for row in trained
                                          for column in ("accuracy", "bits_per_image", "bpp")})
    print(f"table in {run.file('sweep.csv')}")


COMMANDS = {
    ("sweep", "hierarchical"): (add_arguments, sweep,
                                "CE-T, DuPHiL, LDR-FT and truncated models on one budget: entropy-accuracy curves"),
}
