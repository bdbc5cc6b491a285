"""The pictures of seed 000, section 5.5, as PNG files.

- :func:`plot_time_series`: model against target per station (figures 5.9 and 5.14, right);
- :func:`plot_exceedance`: exceedance-probability curves per station (figures 5.9 and 5.14, left);
- :func:`plot_range_heatmap`: station x salinity-range metrics (figure 5.10);
- :func:`plot_metric_boxes`: r^2, percent bias, RSR and NSE across stations, one box per group
  (figure 5.8: train and test; figure 5.11: one box per lead time);
- :func:`plot_station_histories`: the training curves of the per-station (STL) networks.
"""
import math

import numpy as np

from keras_taskadapt.core.figures import pyplot, save_figure
from keras_taskadapt.salinity.metrics import RANGES

plt = pyplot()

BOX_METRICS = {"r2": "r$^2$", "bias_pct": "percent bias (%)", "rsr": "RSR", "nse": "NSE"}
"""The four metrics of figures 5.8, 5.10 and 5.11, key: axis label."""


def _save(figure, path):
    return save_figure(figure, path, dpi=90)


def _station_grid(count, columns=4, size=(3.6, 2.6)):
    rows = math.ceil(count / columns)
    columns = min(columns, count)
    figure, axes = plt.subplots(rows, columns, figsize=(size[0] * columns, size[1] * rows),
                                squeeze=False)
    for axis in axes.flat[count:]:
        axis.set_visible(False)
    return figure, axes.flat


def plot_time_series(windows, predictions, path):
    """Target and model EC against the target date at each station, for the samples of the
    series (file, case) that holds the most of ``windows`` (e.g. the historical run)."""
    keys = np.char.add(windows.sources.astype(str), "|" + windows.cases.astype(str))
    names, counts = np.unique(keys, return_counts=True)
    mine = keys == names[np.argmax(counts)]
    order = np.argsort(windows.target_dates[mine])
    dates = windows.target_dates[mine][order].astype("datetime64[D]").astype(object)
    figure, axes = _station_grid(len(windows.stations), columns=2, size=(7.0, 2.4))
    for s, (axis, station) in enumerate(zip(axes, windows.stations)):
        axis.plot(dates, windows.targets[mine][order, s], lw=0.8, label="target")
        axis.plot(dates, predictions[mine][order, s], lw=0.8, alpha=0.8, label="model")
        axis.set_title(f"{station} (case {windows.cases[mine][0]})", fontsize=9)
        axis.set_ylabel("EC (uS/cm)", fontsize=8)
        axis.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    return _save(figure, path)


def plot_exceedance(targets, predictions, stations, path):
    """EC against the probability of exceeding it, target and model, per station."""
    figure, axes = _station_grid(len(stations))
    for s, (axis, station) in enumerate(zip(axes, stations)):
        present = ~np.isnan(targets[:, s])
        for values, label in ((targets[present, s], "target"), (predictions[present, s], "model")):
            ranked = np.sort(values)[::-1]
            probability = 100.0 * np.arange(1, len(ranked) + 1) / (len(ranked) + 1)
            axis.plot(probability, ranked, lw=1.0, label=label)
        axis.set_title(station, fontsize=9)
        axis.set_xlabel("exceedance probability (%)", fontsize=8)
        axis.set_ylabel("EC (uS/cm)", fontsize=8)
        axis.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    return _save(figure, path)


def plot_range_heatmap(ranges, path):
    """Figure 5.10: one heatmap per metric, stations down, salinity ranges across."""
    stations = list(ranges)
    figure, axes = plt.subplots(1, len(BOX_METRICS), figsize=(3.2 * len(BOX_METRICS),
                                                              0.9 + 0.35 * len(stations)))
    for axis, (metric, label) in zip(axes, BOX_METRICS.items()):
        values = np.array([[ranges[station][name][metric] for name in RANGES]
                           for station in stations])
        if metric == "bias_pct":
            limit = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
            image = axis.imshow(values, cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto")
        else:
            image = axis.imshow(values, cmap="viridis" if metric != "rsr" else "viridis_r",
                                aspect="auto")
        for (row, column), value in np.ndenumerate(values):
            axis.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
        axis.set_xticks(range(len(RANGES)), [f"{name}%" for name in RANGES], fontsize=8)
        axis.set_yticks(range(len(stations)), stations, fontsize=8)
        axis.set_title(label, fontsize=9)
        figure.colorbar(image, ax=axis, shrink=0.8)
    return _save(figure, path)


def plot_metric_boxes(groups, path, xlabel=""):
    """Box plots of the four metrics across stations, one box per group: ``groups`` maps a
    label (``"train"``, ``"test"``, a lead time) to ``{station: {metric: value}}``."""
    figure, axes = plt.subplots(1, len(BOX_METRICS), figsize=(3.4 * len(BOX_METRICS), 3.2))
    labels = [str(label) for label in groups]
    for axis, (metric, label) in zip(axes, BOX_METRICS.items()):
        data = [[value[metric] for value in stations.values() if np.isfinite(value[metric])]
                for stations in groups.values()]
        axis.boxplot(data, showfliers=True)
        axis.set_xticks(range(1, len(labels) + 1), labels, fontsize=8)
        axis.set_title(label, fontsize=9)
        axis.set_xlabel(xlabel, fontsize=8)
        axis.grid(alpha=0.3)
    return _save(figure, path)


def plot_station_histories(rows, stations, path):
    """Training and validation loss per epoch of each station's network (log scale)."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for axis, prefix in zip(axes, ("loss", "val_loss")):
        for index, station in enumerate(stations):
            values = [row[f"{prefix}_{station}"] for row in rows]
            axis.plot(range(1, len(rows) + 1), values, lw=0.9, label=station,
                      color=plt.cm.tab20(index % 20))
        axis.set_yscale("log")
        axis.set_xlabel("epoch")
        axis.set_title(f"{prefix} (scaled MSE)")
        axis.grid(alpha=0.3)
    axes[1].legend(fontsize=7, ncol=2)
    return _save(figure, path)


def write_evaluation_plots(folder, windows, evaluation, groups):
    """``time_series.png``, ``exceedance.png``, ``range_heatmap.png`` and ``station_boxes.png`` of
    an emulator's ``evaluation`` on ``windows`` into ``folder``; ``groups`` are the boxes of the
    station plot (``{name: per-station metrics}``)."""
    import os

    plot_time_series(windows, evaluation.predictions, os.path.join(folder, "time_series.png"))
    plot_exceedance(windows.targets, evaluation.predictions, windows.stations, os.path.join(folder, "exceedance.png"))
    plot_range_heatmap(evaluation.ranges, os.path.join(folder, "range_heatmap.png"))
    plot_metric_boxes(groups, os.path.join(folder, "station_boxes.png"))
