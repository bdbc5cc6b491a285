"""The Delta salinity emulator: train it, export a SavedModel, call it from plain TensorFlow.

Seed 000, chapter 5: a multi-task network (4-MTL-P) maps 118 days of seven flow and
operations inputs to electrical conductivity (EC, salinity) at eleven stations, in place of a
DSM2 run. The SavedModel takes the raw daily values (it scales inside) and says what it
takes in ``assets.extra/contract.json``, so the serving side needs TensorFlow and pandas only.

    python examples/salinity_emulator.py [--smoke] [--new-inputs NEW.csv]

The training files are DWR's DSM2 runs (CalSim-ANN CSV layout); ``--new-inputs`` is any CSV
of the same layout that the emulator did not train on (by default one held-out run).
"""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

from keras_taskadapt.cli import run  # one `keras-taskadapt` command, in this process

DSM2 = Path(__file__).resolve().parents[2] / "shared" / "data" / "delta" / "casanntra-dsm2"


def windows_of(table, inputs, days):
    """The (N, days, inputs) windows of a table's rows: day n's window holds days n-days+1 .. n."""
    values = table[inputs].to_numpy(np.float32)
    steps = np.arange(days)[None, :] + np.arange(len(values) - days + 1)[:, None]
    return values[steps]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DSM2), help="folder of dsm2_base_*.csv training files")
    parser.add_argument("--new-inputs", default=str(DSM2 / "dsm2_base_2.csv"), help="a CSV to emulate")
    parser.add_argument("--out", default="runs/examples/salinity")
    parser.add_argument("--smoke", action="store_true", help="one file, two epochs (CI)")
    args = parser.parse_args()
    out = Path(args.out)

    # 1. Train 4-MTL-P on the DSM2 runs but the held-out one (a random 80/20 day split inside).
    files = sorted(str(path) for path in Path(args.data).glob("dsm2_base_*.csv")
                   if path.resolve() != Path(args.new_inputs).resolve())
    budget = ["--epochs", "2"] if args.smoke else ["--epochs", "100"]
    run("train", "salinity", "--data", *(files[:1] if args.smoke else files), "--model", "mtl-conv-p", *budget,
        "--seed", "0", "--force", "--out", str(out / "run"))

    # 2. The SavedModel (a `serve` signature and the contract of what it takes and gives).
    run("export", "savedmodel", "--model", str(out / "run" / "model.keras"), "--force", "--out", str(out / "savedmodel"))

    # 3. Serving, in plain TensorFlow: read the contract, build the windows, call the signature.
    contract = json.loads((out / "savedmodel" / "assets.extra" / "contract.json").read_text())
    emulator = tf.saved_model.load(str(out / "savedmodel")).signatures[contract["signature"]]
    table = pd.read_csv(args.new_inputs, parse_dates=["datetime"])
    windows = windows_of(table, contract["inputs"], contract["window_days"])
    ec = next(iter(emulator(tf.constant(windows)).values())).numpy()
    days = table["datetime"].iloc[contract["window_days"] - 1 + contract["lead"]:].reset_index(drop=True)
    emulated = pd.DataFrame(ec[: len(days)], columns=contract["stations"]).assign(datetime=days)
    emulated.to_csv(out / "emulated_ec.csv", index=False)
    print(f"EC at {len(contract['stations'])} stations for {len(emulated)} days in {out / 'emulated_ec.csv'}")

    # Where the file also holds DSM2's EC, compare: the Nash-Sutcliffe efficiency per station
    # (1 - MSE / variance of DSM2's EC; 1 is a perfect emulator, 0 no better than the mean).
    if set(contract["stations"]) <= set(table.columns):
        truth = table[contract["stations"]].iloc[contract["window_days"] - 1 + contract["lead"]:].to_numpy()
        error = np.mean((emulated[contract["stations"]].to_numpy() - truth) ** 2, axis=0) / np.var(truth, axis=0)
        print("NSE against DSM2 on the new inputs:",
              ", ".join(f"{station} {1 - value:.3f}" for station, value in zip(contract["stations"], error)))


if __name__ == "__main__":
    main()
