"""``train/evaluate hierarchical`` and ``sweep latent-dim`` on the offline default data set."""
import csv
import json

import numpy as np
import pytest

from keras_taskadapt.cli import main
from keras_taskadapt.hierarchical.latent import LatentEntropyCoder

SMALL = ["--image-size", "16", "16", "--width", "0.125", "--latent-dim", "8", "--side-dim", "8",
         "--batch-size", "64", "--seed", "1"]
KEYS = {"accuracy", "total_entropy_bits", "bits_per_image", "bpp", "latent_dim", "params", "flops"}


@pytest.fixture(scope="module")
def duphil_run(tmp_path_factory):
    """DuPHiL for one DuPHiL epoch (phase 1 and phase 2, one LDR batch of 128 each)."""
    out = tmp_path_factory.mktemp("duphil")
    assert main(["train", "hierarchical", "--out", str(out), "--training", "duphil", "--epochs", "2",
                 "--steps-per-epoch", "1", "--ldr-batch-size", "128", "--quantization-scales", "0.5", "4",
                 *SMALL]) == 0
    return out


def test_train_writes_the_run_folder_and_the_rate_metrics(duphil_run):
    for name in ("metrics.json", "config.json", "history.csv", "model.keras", "training.png", "entropy_coder.npz",
                 "rate_curve.csv", "entropy_accuracy.png", "bpp_accuracy.png"):
        assert (duphil_run / name).is_file(), name
    metrics = json.loads((duphil_run / "metrics.json").read_text())
    assert KEYS <= set(metrics) and metrics["training"] == "duphil" and metrics["epochs"] == 2
    assert metrics["latent_dim"] == 8 and 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["bpp"] == pytest.approx(metrics["bits_per_image"] / (16 * 16))
    assert metrics["amortised_bits_per_image"] * metrics["test_examples"] % 32 == 0  # one stream of 32-bit words
    assert round(metrics["bits_per_image"] * metrics["test_examples"]) % 8 == 0  # per-image streams of whole bytes
    assert metrics["bits_per_image"] > metrics["amortised_bits_per_image"]
    assert metrics["params"] > metrics["encoder_params"] > 0 and metrics["flops"] > metrics["encoder_flops"] > 0
    with open(duphil_run / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["phase"]) for row in rows] == [2.0, 4.0]  # "encoder", then "decoder"
    encoder_epoch, decoder_epoch = rows
    assert encoder_epoch["ce_loss"] == encoder_epoch["accuracy"] == "" and float(encoder_epoch["ldr_loss"]) < 0
    assert decoder_epoch["ldr_loss"] == "" and float(decoder_epoch["ce_loss"]) > 0
    assert all(value not in ("nan", "NA") for row in rows for value in row.values())
    with open(duphil_run / "rate_curve.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["scale"]) for row in rows] == [0.5, 4.0]
    assert float(rows[0]["total_entropy_bits"]) > float(rows[1]["total_entropy_bits"])
    assert LatentEntropyCoder.load(duphil_run / "entropy_coder.npz").latent_dim == 8


def test_export_fits_the_coder_on_the_data_set_recorded_with_the_model(duphil_run, tmp_path):
    out = tmp_path / "deploy"
    assert main(["export", "split-ae", "--model", str(duphil_run / "model.keras"), "--out", str(out),
                 "--train-examples", "300", "--report-images", "50"]) == 0
    assert (out / "entropy_coder.npz").is_file()
    report = json.loads((out / "sensor.tflite.report.json").read_text())
    assert report["rate"]["images"] == 50 and report["rate"]["bits_per_image"] >= 8  # at least the header


def test_evaluate_and_truncated_fine_tuning_of_the_trained_model(duphil_run, tmp_path):
    model = str(duphil_run / "model.keras")
    assert main(["evaluate", "hierarchical", "--model", model, "--out", str(tmp_path / "eval"),
                 "--image-size", "16", "16", "--batch-size", "64"]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    trained = json.loads((duphil_run / "metrics.json").read_text())
    for key in ("accuracy", "bits_per_image", "total_entropy_bits"):
        assert evaluated[key] == pytest.approx(trained[key], rel=1e-6), key
    assert main(["train", "hierarchical", "--out", str(tmp_path / "cut"), "--init", model, "--truncate-to", "3",
                 "--truncate-by", "discriminative", "--training", "e2e", "--epochs", "1", "--steps-per-epoch", "1",
                 *SMALL]) == 0
    cut = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    assert cut["latent_dim"] == 3 and cut["encoder_params"] == trained["encoder_params"] - 5 * (16 + 1)  # 16 hidden units


@pytest.mark.parametrize("options, message", [
    (["--ldr-batch-size", "100"], "error: --ldr-batch-size: must be a multiple of the batch size"),
    (["--init", "missing.keras"], "no such file"),
    (["--quantization-scales", "0"], "argument --quantization-scales: must be above 0"),
    (["--ldr-batch-size", "2048"], "fewer than one batch"),
    (["--image-size", "24", "24"], "multiples of 16"),
])
def test_bad_options_end_in_one_line(options, message, tmp_path, capsys):
    assert main(["train", "hierarchical", "--out", str(tmp_path), *SMALL, *options]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_the_classifier_of_figure_3_1_trains_and_evaluates_without_rate_keys(tmp_path, capsys):
    out = tmp_path / "classifier"
    assert main(["train", "hierarchical", "--out", str(out), "--architecture", "classifier", "--training", "duphil",
                 "--epochs", "2", "--steps-per-epoch", "1", *SMALL]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["architecture"] == "classifier" and metrics["training"] == "duphil" and metrics["epochs"] == 2
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["params"] > 0 and metrics["flops"] > 0
    assert not (KEYS - {"accuracy", "params", "flops"}) & set(metrics) and not (out / "entropy_coder.npz").exists()
    assert main(["evaluate", "hierarchical", "--model", str(out / "model.keras"), "--out", str(tmp_path / "eval"),
                 "--image-size", "16", "16", "--batch-size", "64"]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert evaluated["architecture"] == "classifier" and "bits_per_image" not in evaluated
    for key in ("accuracy", "params", "flops"):
        assert evaluated[key] == pytest.approx(metrics[key], rel=1e-6), key
    assert "parameters" in capsys.readouterr().out
    assert main(["evaluate", "hierarchical", "--model", str(out / "model.keras"), "--out", str(tmp_path / "bad"),
                 "--quantization-scales", "1"]) == 2
    assert "no quantized latent" in capsys.readouterr().err


@pytest.mark.parametrize("options", [["--quantization-scales", "1"], ["--truncate-to", "4"],
                                     ["--init", __file__, "--decoder-retrain", "kl"]])
def test_options_that_need_a_latent_refuse_the_classifier(options, tmp_path, capsys):
    assert main(["train", "hierarchical", "--out", str(tmp_path), "--architecture", "classifier", *SMALL,
                 *options]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no quantized latent" in error


def test_evaluate_refuses_a_model_of_another_task(tmp_path, capsys):
    (tmp_path / "not.keras").write_bytes(np.arange(10, dtype=np.uint8).tobytes())
    assert main(["evaluate", "hierarchical", "--model", str(tmp_path / "not.keras"), "--out", str(tmp_path)]) == 2
    assert "not a .keras model file" in capsys.readouterr().err


@pytest.mark.slow
def test_sweep_latent_dim_picks_the_most_accurate(tmp_path):
    out = tmp_path / "sweep"
    assert main(["sweep", "latent-dim", "--out", str(out), "--latent-dims", "4", "8", "--epochs", "1",
                 "--steps-per-epoch", "2", *SMALL[:-6], "--batch-size", "64"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    with open(out / "sweep.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["latent_dim"]) for row in rows] == [4, 8] and metrics["trials"] == 2
    best = max(rows, key=lambda row: float(row["accuracy"]))
    assert metrics["best_latent_dim"] == int(best["latent_dim"])
