"""4-MTL-P against the single-station STL ANNs: training time and inference time (issue 5).

    python benchmarks/bench_salinity.py [--data GLOB] [--epochs 40] [--patience 20]
                                        [--batch-size 128] [--seed 0] [--json FILE]

Seed 000, table 5.4: on a Tesla T4 the 4-MTL-P trained in 319 s and inferred all 12 stations in
1.3 ms per day, where the 12 STL ANNs took 315 s each (1.05 h) and 12 x 0.71 = 8.52 ms per day.
Here, in one run on the same data, split (random 80/20, seeded) and budget:

* training wall time to early stop (or to the epoch cap): the one 4-MTL-P network, and the 12
  STL-Adam networks trained one after another (each stops on its own), Adam with the step
  schedule of section 5.3.1, batch ``--batch-size``, validation MSE checked every epoch;
* batched inference of every test day for all stations (``predict``, batches of 4096, best of
  3 after a warm-up): the 4-MTL-P emulator; the STL emulator (the 12 networks side by side in
  one graph); and the 12 STL networks called one after another, as 12 separate models are;
* one-day latency (a batch of one, compiled call, median of 200): the same three.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "delta",
                            "casanntra-dsm2", "dsm2_base_*.csv")


def batched_seconds_per_day(predictors, windows, repeats=3):
    """Best of ``repeats`` passes of every predictor over all ``windows``, per window."""
    for predict in predictors:
        predict(windows[:64])
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for predict in predictors:
            predict(windows)
        best = min(best, time.perf_counter() - started)
    return best / len(windows)


def one_day_seconds(models, window, calls=200):
    """Median time of one day through every model in turn (compiled, batch of one)."""
    import tensorflow as tf

    compiled = [tf.function(model) for model in models]
    day = tf.constant(window[None])
    for call in compiled:
        call(day)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        for call in compiled:
            call(day).numpy()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="CSV files (glob)")
    parser.add_argument("--epochs", type=int, default=40, help="epoch cap (default: 40)")
    parser.add_argument("--patience", type=int, default=20, help="early stopping (default: 20)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()

    import keras

    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.experiment import seed_everything
    from keras_taskadapt.salinity import make_windows, random_split, read_salinity_csv
    from keras_taskadapt.salinity.catalog import CONFIGURATIONS
    from keras_taskadapt.salinity.evaluation import evaluate_emulator
    from keras_taskadapt.salinity.training import train_emulator

    windows = make_windows(read_salinity_csv(args.data), raw=True)
    train, test = random_split(windows, seed=args.seed)
    print(f"{len(train)} training and {len(test)} test days, {len(windows.stations)} stations; "
          f"{os.cpu_count()} CPU cores")
    results = {}
    scratch = tempfile.mkdtemp(prefix="bench_salinity_")
    for name in ("mtl-conv-p", "stl"):
        seed_everything(args.seed)
        trained = train_emulator(CONFIGURATIONS[name], train, test,
                                 run=RunDirectory(os.path.join(scratch, name)), epochs=args.epochs,
                                 patience=args.patience, schedule="steps", batch_size=args.batch_size,
                                 seed=args.seed)
        emulator = trained.emulator
        networks = [layer for layer in emulator.layers if isinstance(layer, keras.Model)]
        # Each STL network alone: the signature is an identity and the output unscaling
        # per station is a multiply-add, so the network is the model a user would call.
        separately = [lambda x, network=network: network.predict(x, batch_size=4096, verbose=0)
                      for network in networks]
        together = [lambda x, model=emulator: model.predict(x, batch_size=4096, verbose=0)]
        results[name] = {
            "label": CONFIGURATIONS[name].label,
            "networks": len(networks),
            "trainable_params": int(sum(v.numpy().size for v in emulator.trainable_variables)),
            "train_seconds": trained.train_seconds,
            "network_seconds": trained.network_seconds,
            "epochs": trained.network_epochs,
            "mean_nmse_x1e4": 1e4 * evaluate_emulator(emulator, test).mean_nmse,
            "batched_us_per_day": 1e6 * batched_seconds_per_day(together, test.raw),
            "batched_us_per_day_separate_models": 1e6 * batched_seconds_per_day(separately,
                                                                                 test.raw),
            "one_day_ms": 1e3 * one_day_seconds([emulator], test.raw[0]),
            "one_day_ms_separate_models": 1e3 * one_day_seconds(networks, test.raw[0]),
        }
        print(json.dumps(results[name], indent=1))
    mtl, stl = results["mtl-conv-p"], results["stl"]
    print("\n| | 4-MTL-P | 12 x STL-Adam | STL / 4-MTL-P |\n| --- | --- | --- | --- |")
    for key, label in (("train_seconds", "training to early stop (s)"),
                       ("batched_us_per_day", "batched inference, one graph (us/day)"),
                       ("batched_us_per_day_separate_models",
                        "batched inference, separate models (us/day)"),
                       ("one_day_ms", "one-day latency, one graph (ms)"),
                       ("one_day_ms_separate_models", "one-day latency, separate models (ms)"),
                       ("mean_nmse_x1e4", "mean NMSE x 1e4")):
        print(f"| {label} | {mtl[key]:.3g} | {stl[key]:.3g} | {stl[key] / mtl[key]:.2f} |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
