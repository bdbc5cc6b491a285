"""The README's salinity tables from `train salinity` run folders (issue 15).

    python benchmarks/salinity_tables.py LABEL=DIR[,DIR...] [LABEL=DIR...] [--threshold 3.02]
                                         [--metric nmse|nse|r2|rsr|bias_pct] [--per-station]

Each LABEL names one configuration, its DIRs the runs of it with different seeds. Printed as
Markdown, every figure read from the runs' ``metrics.json`` and ``history.csv``:

* per configuration: mean NMSE x 1e4 over the stations, as the mean over the runs and its spread
  (min .. max), the training seconds (mean, min .. max), the epochs run, and the training
  seconds until the validation NMSE first reached ``--threshold`` x 1e-4 (``history.csv``'s
  ``seconds`` and ``val_loss``, which is the mean NMSE over the stations when no target is
  missing; "n/a" for one network per station, whose ``history.csv`` has a column per station);
* with ``--per-station``: the chosen metric per station, the mean over the runs of each label;
* with ``--curve LABEL``: that label's first run as a time-to-NMSE table (every 25 epochs);
* with ``--curves PNG``: validation NMSE against training seconds, every run of every label
  whose history has one ``val_loss`` column, with the threshold as a line;
* with ``--boxes PREFIX``: figure 5.8's box plots over the stations of each label's first run,
  ``PREFIX_test.png`` and ``PREFIX_train.png`` (r2, percent bias, RSR, NSE).
"""
import argparse
import csv
import json
from pathlib import Path

import numpy as np


def read_run(folder):
    folder = Path(folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    if (folder / "train_metrics.json").is_file():
        metrics["train_stations"] = json.loads((folder / "train_metrics.json").read_text())["stations"]
    with open(folder / "history.csv", newline="") as handle:
        history = list(csv.DictReader(handle))
    return metrics, history


def seconds_to(history, threshold):
    """Training seconds at the first epoch whose ``val_loss`` is at most ``threshold``."""
    for row in history:
        if row.get("val_loss") and row.get("seconds") and float(row["val_loss"]) <= threshold:
            return float(row["seconds"])
    return None


def spread(values, digits=2):
    values = [value for value in values if value is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ({min(values):.{digits}f} .. {max(values):.{digits}f})"


def reached(seconds):
    """:func:`spread` of the runs that reached the threshold, and how many of them did."""
    hits = [value for value in seconds if value is not None]
    if len(hits) == len(seconds):
        return spread(hits, 0)
    return f"{spread(hits, 0)}; {len(hits)} of {len(seconds)} runs reached it"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=DIR[,DIR...]")
    parser.add_argument("--threshold", type=float, default=3.02, help="NMSE x 1e4 for the time-to column")
    parser.add_argument("--metric", default="nmse")
    parser.add_argument("--per-station", action="store_true")
    parser.add_argument("--curve", default=None, metavar="LABEL")
    parser.add_argument("--boxes", default=None, metavar="PREFIX")
    parser.add_argument("--curves", default=None, metavar="PNG")
    args = parser.parse_args()
    groups = {}
    for item in args.runs:
        label, folders = item.split("=", 1)
        groups[label] = [read_run(folder) for folder in folders.split(",")]

    print(f"| configuration | runs | mean NMSE x 1e4 | median NSE | training s | epochs | s to NMSE <= "
          f"{args.threshold} |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, runs in groups.items():
        one_network = "val_loss" in runs[0][1][0]
        to_threshold = reached([seconds_to(h, args.threshold * 1e-4) for _, h in runs]) if one_network else "n/a"
        print(f"| {label} | {len(runs)} | {spread([1e4 * m['mean_nmse'] for m, _ in runs])} "
              f"| {spread([m.get('median_nse') for m, _ in runs], 3)} "
              f"| {spread([m['train_seconds'] for m, _ in runs], 0)} | {spread([m['epochs'] for m, _ in runs], 0)} "
              f"| {to_threshold} |")

    if args.per_station:
        scale = 1e4 if args.metric == "nmse" else 1.0
        from keras_taskadapt.salinity.columns import SEED_STATIONS

        found = list(next(iter(groups.values()))[0][0]["stations"])
        stations = ([code for code in SEED_STATIONS if code in found]
                    + [code for code in found if code not in SEED_STATIONS])
        print(f"\n{args.metric}{' x 1e4' if scale != 1 else ''}, mean over the runs of each configuration:\n")
        print("| station | " + " | ".join(groups) + " |")
        print("| --- |" + " --- |" * len(groups))
        for station in stations:
            cells = []
            for runs in groups.values():
                values = [m["stations"][station][args.metric] for m, _ in runs if station in m["stations"]]
                cells.append(f"{scale * np.mean(values):.3f}" if values and scale == 1 else
                             f"{scale * np.mean(values):.2f}" if values else "")
            name = f"{SEED_STATIONS[station]} (`{station}`)" if station in SEED_STATIONS else f"`{station}`"
            print(f"| {name} | " + " | ".join(cells) + " |")

    if args.curve:
        _, history = groups[args.curve][0]
        print(f"\ntime-to-NMSE, {args.curve} (first run):\n")
        print("| epoch | training s | validation NMSE x 1e4 |")
        print("| --- | --- | --- |")
        for row in history:
            epoch = int(row["epoch"])
            if epoch % 25 == 24 or epoch == 0 or row is history[-1]:
                print(f"| {epoch + 1} | {float(row['seconds']):.0f} | {1e4 * float(row['val_loss']):.2f} |")

    if args.curves:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(6.4, 4))
        for index, (label, runs) in enumerate(groups.items()):
            for number, (_, history) in enumerate(runs):
                if "val_loss" in history[0]:
                    seconds = [float(row["seconds"]) for row in history]
                    nmse = [1e4 * float(row["val_loss"]) for row in history]
                    axis.plot(seconds, nmse, color=plt.cm.tab10(index), lw=0.8, label=label if number == 0 else None)
        axis.axhline(args.threshold, color="k", ls="--", lw=0.8, label=f"NMSE x 1e4 = {args.threshold}")
        axis.set(xlabel="training seconds", ylabel="validation NMSE x 1e4", yscale="log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        figure.savefig(args.curves, dpi=120, bbox_inches="tight")
        print(f"\ntime-to-NMSE curves: {args.curves}")

    if args.boxes:
        from keras_taskadapt.salinity.plots import plot_metric_boxes

        for split, key in (("test", "stations"), ("train", "train_stations")):
            plot_metric_boxes({label: runs[0][0][key] for label, runs in groups.items()},
                              f"{args.boxes}_{split}.png", xlabel=split)
            print(f"\nbox plots: {args.boxes}_{split}.png")


if __name__ == "__main__":
    main()
