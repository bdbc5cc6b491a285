"""The grids of seed 000 tables 4.1-4.3 on one budget (``sweep fewshot``).

``tables`` (tables 4.1 and 4.2): for every backbone and augmentation setting (none, all four),
CE (no LDR), hard LDR and weak LDR with the random, constrained and manual groupings.
``augmentations`` (table 4.3): CE and weak LDR with random grouping, one augmentation at a
time. Every episodic run of a backbone starts from the same pre-training run of it
(``<backbone>-pretrain``, without augmentation), so the rows of a table differ only in the
episodic training they compare. Every run is a folder of its own under the sweep's folder;
a run that finished (its ``metrics.json`` exists) is read back instead of retrained, so an
interrupted sweep continues where it stopped.
"""

import json
import os
from dataclasses import dataclass

from keras_taskadapt.fewshot.augmentation import AUGMENTATIONS


@dataclass(frozen=True)
class Variant:
    """One row of tables 4.1-4.3: its label and the LDR partition and grouping it trains with."""

    label: str
    ldr: str
    coarse: str = "random"


VARIANTS = (Variant("CE", "none"), Variant("Hard-LDR", "hard"), Variant("Weak-LDR-R", "weak", "random"),
            Variant("Weak-LDR-CR", "weak", "constrained"), Variant("Weak-LDR-M", "weak", "manual"))
AUGMENTATION_VARIANTS = (VARIANTS[0], VARIANTS[2])
GRIDS = ("tables", "augmentations")


def grid_cells(grid, backbones, augmentation_settings):
    """``(backbone, augmentation names, variants)`` of every cell of the grid."""
    if grid == "tables":
        return [(backbone, augment, VARIANTS) for backbone in backbones for augment in augmentation_settings]
    return [(backbone, (name,), AUGMENTATION_VARIANTS) for backbone in backbones for name in AUGMENTATIONS]


def finished_metrics(folder):
    path = os.path.join(folder, "metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def run_grid(grid, *, backbones, augmentation_settings, out, train, eval_shots):
    """Train the grid into ``out``; ``train(folder, **overrides) -> metrics`` trains one run.

    Returns the table rows (one per trained variant, with its accuracy change from CE)."""
    rows = []
    for backbone, augment, variants in grid_cells(grid, backbones, augmentation_settings):
        cell = os.path.join(out, f"{backbone}-{'+'.join(augment) or 'none'}")
        pretrain_dir = os.path.join(out, f"{backbone}-pretrain")
        if finished_metrics(pretrain_dir) is None:
            train(pretrain_dir, method="pretrain", backbone=backbone, augment=("none",), pretrained=None)
        pretrained = os.path.join(pretrain_dir, "model.keras")
        baseline = None
        for variant in variants:
            folder = os.path.join(cell, variant.label.lower())
            metrics = finished_metrics(folder) or train(folder, backbone=backbone, augment=augment,
                                                        pretrained=pretrained, ldr=variant.ldr,
                                                        coarse=variant.coarse)
            row = {"backbone": backbone, "augment": "+".join(augment) or "none", "variant": variant.label}
            for shots in eval_shots:
                row[f"accuracy_{shots}shot"] = metrics[f"accuracy_{shots}shot"]
                row[f"ci95_{shots}shot"] = metrics[f"ci95_{shots}shot"]
            baseline = baseline or row
            for shots in eval_shots:
                row[f"change_{shots}shot"] = row[f"accuracy_{shots}shot"] - baseline[f"accuracy_{shots}shot"]
            rows.append(row)
    return rows


def plot_grid(rows, eval_shots, path):
    """Accuracy with 95% CI bars, one panel per shot count, one group of bars per cell."""
    import numpy as np

    from keras_taskadapt.core.figures import pyplot, save_figure

    cells = list(dict.fromkeys((row["backbone"], row["augment"]) for row in rows))
    labels = list(dict.fromkeys(row["variant"] for row in rows))
    figure, axes = pyplot().subplots(1, len(eval_shots), figsize=(1.2 + 1.6 * len(cells) * len(eval_shots), 3.8),
                                     squeeze=False)
    width = 0.8 / len(labels)
    for axis, shots in zip(axes[0], eval_shots):
        for offset, label in enumerate(labels):
            chosen = [(cells.index((row["backbone"], row["augment"])), row) for row in rows if row["variant"] == label]
            axis.bar([index + offset * width for index, _ in chosen],
                     [100 * row[f"accuracy_{shots}shot"] for _, row in chosen], width,
                     yerr=[100 * row[f"ci95_{shots}shot"] for _, row in chosen], capsize=2, label=label)
        axis.set_xticks(np.arange(len(cells)) + 0.4 - width / 2)
        axis.set_xticklabels([f"{backbone}\n{augment}" for backbone, augment in cells], fontsize=7)
        axis.set_ylabel(f"5-way {shots}-shot accuracy (%)")
        low = min(100 * (row[f"accuracy_{shots}shot"] - row[f"ci95_{shots}shot"]) for row in rows)
        axis.set_ylim(max(0, low - 5), None)
    axes[0][0].legend(fontsize=7)
    save_figure(figure, path)
