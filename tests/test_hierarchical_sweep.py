"""``sweep hierarchical``: CE-T, DuPHiL, LDR-FT and truncated runs on the offline default data set."""
import csv
import json

import pytest

from keras_taskadapt.cli import main

TINY = ["--image-size", "16", "16", "--width", "0.125", "--latent-dim", "6", "--side-dim", "8", "--batch-size", "64",
        "--seed", "1", "--steps-per-epoch", "1", "--epochs", "1", "--duphil-epochs", "2", "--step-epochs", "1", "1", "1",
        "--quantization-scales", "1", "4", "--coder-examples", "256"]


@pytest.mark.slow  # six training runs: about 100 s of CPU
def test_sweep_trains_six_runs_from_one_baseline_and_draws_figures_3_10_and_3_11(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "hierarchical", "--out", str(out), *TINY]) == 0
    with open(out / "sweep.csv") as handle:
        rows = list(csv.DictReader(handle))
    runs = ["ce-t", "duphil", "ldr-ft", "ce-t-continued", "ce-t-truncated", "ldr-ft-truncated"]
    assert [row["run"] for row in rows] == [run for run in runs for _ in range(3)]
    assert [row["scale"] for row in rows[:3]] == ["", "1.0", "4.0"]
    dims = {row["run"]: int(row["latent_dim"]) for row in rows}
    assert dims == {"ce-t": 6, "duphil": 6, "ldr-ft": 6, "ce-t-continued": 6, "ce-t-truncated": 3,
                    "ldr-ft-truncated": 3}
    for name in ("entropy_accuracy.png", "truncated_entropy_accuracy.png", "bpp_accuracy.png", "metrics.json"):
        assert (out / name).is_file(), name
    for run in runs[1:]:  # every later run starts from the CE-T model
        assert json.loads((out / run / "config.json").read_text())["options"]["init"] == str(out / "ce-t" / "model.keras")
    ldr_ft = json.loads((out / "ldr-ft" / "metrics.json").read_text())
    assert ldr_ft["training"] == "three-step" and ldr_ft["epochs"] == 3
    first = (out / "ce-t" / "metrics.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["sweep", "hierarchical", "--out", str(out), "--resume", *TINY]) == 0  # finished runs are read back
    assert (out / "ce-t" / "metrics.json").stat().st_mtime_ns == first


def test_sweep_refuses_an_init_model(tmp_path, capsys):
    assert main(["sweep", "hierarchical", "--out", str(tmp_path), "--init", "x.keras", *TINY]) == 2
    assert "--init is for train hierarchical" in capsys.readouterr().err
