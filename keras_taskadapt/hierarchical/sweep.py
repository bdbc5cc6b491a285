"""The experiments of seed 000 section 3.4.2 on one budget (``sweep hierarchical``).

Six runs, each in its own folder:

============================  ==========================================================
``ce-t``                      the "CE-trained" baseline: E2E cross-entropy from scratch
``duphil``                    DuPHiL from the CE-T model (``duphil_epochs``)
``ldr-ft``                    three-step training from the CE-T model, the "LDR-fine-tuned"
                              model (``step_epochs``)
``ce-t-continued``            the control of equal budget: the CE-T model trained E2E with CE
                              for as many more epochs as the three steps take
``ce-t-truncated``            the CE-T model with its last half of latent entries removed
                              (``truncate_to``), fine-tuned E2E with CE for as many epochs as
                              the three steps take
``ldr-ft-truncated``          the same truncated model fine-tuned with the three steps
============================  ==========================================================

The runs from the CE-T model train at ``ldr_learning_rate`` (their LDR phases; the CE epochs
of the control and the truncated CE-T model), a fine-tuning rate below the baseline's as in
section 3.4 (SGD at 0.1 for the baseline, 0.001 for the LDR phase).
"""

import os

from keras_taskadapt.core.files import read_csv, write_csv, write_json

#: Columns of sweep.csv besides ``run`` and ``scale``.
RATE_COLUMNS = ("accuracy", "total_entropy_bits", "bits_per_image", "bpp", "latent_dim")
#: Runs of figure 3.10 (and the equal-budget control) and of figure 3.11.
FULL_RUNS = ("ce-t", "duphil", "ldr-ft", "ce-t-continued")
TRUNCATED_RUNS = ("ce-t-truncated", "ldr-ft-truncated")
LABELS = {"ce-t": "CE-T", "duphil": "DuPHiL", "ldr-ft": "LDR-FT", "ce-t-continued": "CE-T (+ CE epochs)",
          "ce-t-truncated": "CE-T (truncated)", "ldr-ft-truncated": "LDR-FT (truncated)"}


def planned_runs(out, *, latent_dim, truncate_to=None, step_epochs=(2, 2, 2), duphil_epochs=4,
                 ldr_learning_rate=1e-4):
    """``(name, overrides of the training options)`` of the six runs; the later ones start from ``ce-t``."""
    baseline = os.path.join(out, "ce-t", "model.keras")
    truncate_to = truncate_to or max(1, latent_dim // 2)
    fine_tune = {"init": baseline, "learning_rate": ldr_learning_rate}
    return [
        ("ce-t", {"training": "e2e", "init": None, "truncate_to": None}),
        ("duphil", {**fine_tune, "training": "duphil", "truncate_to": None, "epochs": duphil_epochs}),
        ("ldr-ft", {**fine_tune, "training": "three-step", "truncate_to": None}),
        ("ce-t-continued", {**fine_tune, "training": "e2e", "truncate_to": None, "epochs": sum(step_epochs)}),
        ("ce-t-truncated", {**fine_tune, "training": "e2e", "truncate_to": truncate_to, "epochs": sum(step_epochs)}),
        ("ldr-ft-truncated", {**fine_tune, "training": "three-step", "truncate_to": truncate_to}),
    ]


def finished_run(folder):
    """``(metrics, curve rows)`` of a finished run folder, ``None`` when it holds no finished run."""
    import json

    metrics_path = os.path.join(folder, "metrics.json")
    if not os.path.isfile(metrics_path):
        return None
    with open(metrics_path) as handle:
        metrics = json.load(handle)
    curve_path = os.path.join(folder, "rate_curve.csv")
    curve = [{key: float(value) for key, value in row.items()} for row in read_csv(curve_path)] \
        if os.path.isfile(curve_path) else []
    return metrics, curve


def sweep_rows(name, metrics, curve):
    """Rows of ``sweep.csv`` for one run: the trained steps (``scale`` empty), then its curve."""
    rows = [{"run": name, "scale": "", **{column: metrics[column] for column in RATE_COLUMNS}}]
    rows += [{"run": name, "scale": point["scale"],
              **{column: point[column] for column in RATE_COLUMNS if column != "latent_dim"},
              "latent_dim": metrics["latent_dim"]} for point in curve]
    return rows


def write_sweep(run, rows, curves):
    """``sweep.csv``, the figures 3.10/3.11 (``entropy_accuracy.png``,
    ``truncated_entropy_accuracy.png``), ``bpp_accuracy.png`` and ``metrics.json`` of a sweep."""
    from keras_taskadapt.hierarchical.latent import plot_rate_accuracy

    write_csv(run.file("sweep.csv"), rows)
    plot_rate_accuracy({LABELS[name]: curves[name] for name in FULL_RUNS}, run.file("entropy_accuracy.png"))
    plot_rate_accuracy({LABELS[name]: curves[name] for name in TRUNCATED_RUNS},
                       run.file("truncated_entropy_accuracy.png"))
    plot_rate_accuracy({LABELS[name]: curve for name, curve in curves.items()}, run.file("bpp_accuracy.png"),
                       rate="bpp")
    trained = [row for row in rows if row["scale"] == ""]
    write_json(run.file("metrics.json"), {f"{row['run']}_{column}": row[column] for row in trained
                                          for column in ("accuracy", "bits_per_image", "bpp")})
