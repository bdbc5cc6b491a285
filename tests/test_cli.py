"""The command line contract: verbs, the run folder, one-line errors, --resume."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_taskadapt.cli import main
from keras_taskadapt.commands.registry import VERBS

CLI = [sys.executable, "-m", "keras_taskadapt"]


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_help(verb, capsys):
    assert main([verb, "--help"]) == 0 and "task" in capsys.readouterr().out


def test_the_offline_data_set_trains_one_epoch_and_writes_the_run_folder(classifier_run):
    for name in ("metrics.json", "config.json", "history.csv", "model.keras", "training.png"):
        assert (classifier_run / name).is_file(), name
    metrics = json.loads((classifier_run / "metrics.json").read_text())
    assert metrics["dataset"] == "sklearn_digits" and metrics["epochs"] == 1
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["train_examples"] == 1437
    assert all(not isinstance(value, dict) for value in metrics.values())
    config = json.loads((classifier_run / "config.json").read_text())
    assert config["seed"] == 1 and config["options"]["epochs"] == 1 and "tensorflow" in config["versions"]
    assert not (classifier_run / "backup").exists()
    assert not [name for name in os.listdir(classifier_run) if name.startswith(".partial")]


def test_evaluate_and_export_the_trained_model(classifier_run, tmp_path):
    model = str(classifier_run / "model.keras")
    assert main(["evaluate", "classify", "--model", model, "--out", str(tmp_path / "eval")]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    trained = json.loads((classifier_run / "metrics.json").read_text())
    assert evaluated["accuracy"] == pytest.approx(trained["accuracy"], abs=1e-6)
    saved = tmp_path / "served"
    assert main(["export", "savedmodel", "--model", model, "--out", str(saved)]) == 0
    report = json.loads((tmp_path / "served.report.json").read_text())
    assert report["parity"]["max_abs_diff"] < 1e-4 and report["size_bytes"] > 0
    assert main(["export", "savedmodel", "--model", model, "--out", str(saved)]) == 2  # no --force
    assert main(["export", "savedmodel", "--model", model, "--out", str(saved), "--force"]) == 0


def test_data_convert_inspect_verify(tmp_path, capsys):
    out = tmp_path / "digits"
    assert main(["data", "convert", "--out", str(out), "--format", "raw", "--shards", "2"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_records"] == 1437 and metrics["test_records"] == 360
    capsys.readouterr()
    assert main(["data", "inspect", str(out / "test-00000-of-00002.tfrecord")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == 180 and summary["element_shape"] == [32, 32, 3]
    shard = out / "train-00001-of-00002.tfrecord"
    shard.write_bytes(shard.read_bytes()[:-100])
    assert main(["data", "verify", str(out / "*.tfrecord")]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("error: ") and "\n" not in line and f"{shard}: record 717 " in line
    assert main(["data", "verify", str(out / "*.tfrecord"), "--skip-corrupt"]) == 0
    assert "1796 intact records in 4 files; 1 damaged record(s) skipped" in capsys.readouterr().out


def test_training_on_a_damaged_shard_names_it_and_skip_corrupt_counts_it(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["data", "convert", "--out", str(data), "--shards", "2"]) == 0
    shard = data / "train-00000-of-00002.tfrecord"
    shard.write_bytes(shard.read_bytes()[:-40])
    common = ["train", "classify", "--dataset", f"tfrecord:{data}/*.tfrecord", "--epochs", "1",
              "--steps-per-epoch", "2", "--batch-size", "400", "--depth", "8"]
    capsys.readouterr()
    assert main(common + ["--out", str(tmp_path / "strict")]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("error: ") and f"{shard}: record 718 " in line and "--skip-corrupt" in line
    assert main(common + ["--out", str(tmp_path / "lenient"), "--skip-corrupt"]) == 0
    metrics = json.loads((tmp_path / "lenient" / "metrics.json").read_text())
    assert metrics["skipped_records"] == 1


@pytest.mark.parametrize("arguments, fragment", [
    (["train", "classify", "--dataset", "folder:/no/such/dir"], "no such directory"),
    (["train", "classify", "--depth", "21", "--epochs", "1"], "6n + 2"),
    (["train", "classify", "--resume"], "no interrupted run"),
    (["evaluate", "classify", "--model", "/no/model.keras"], "no such file"),
    (["data", "inspect", "/no/such/*.tfrecord"], "no TFRecord files match"),
    (["train", "classify", "--epochs", "one"], "argument --epochs: expected a whole number"),
])
def test_user_errors_are_one_line_and_exit_2(arguments, fragment, tmp_path, capsys):
    needs_out = arguments[0] in ("train", "evaluate")
    code = main(arguments + (["--out", str(tmp_path / "out")] if needs_out else []))
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and fragment in error


def _history_epochs(path):
    with open(path, newline="") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_resume_continues_a_killed_run_from_the_saved_epoch(tmp_path):
    out = tmp_path / "run"
    command = CLI + ["train", "classify", "--out", str(out), "--epochs", "8", "--steps-per-epoch", "6", "--seed", "2",
                     "--depth", "8", "--batch-size", "32"]
    metadata = out / "backup" / "training_metadata.json"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if metadata.exists() and json.loads(metadata.read_text() or "{}").get("epoch", 0) >= 1:
            break
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = json.loads(metadata.read_text())["epoch"]
    assert 1 <= finished < 8 and not (out / "metrics.json").exists()
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"Epoch {finished + 1}/8" in resumed.stdout and "Epoch 1/8" not in resumed.stdout
    assert _history_epochs(out / "history.csv") == list(range(8))
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 8
    assert not (out / "backup").exists()


def test_same_seed_gives_the_same_first_epoch(tmp_path):
    runs = []
    for name in ("a", "b"):
        assert main(["train", "classify", "--out", str(tmp_path / name), "--epochs", "1", "--steps-per-epoch", "3",
                     "--seed", "5", "--deterministic-ops", "--depth", "8", "--batch-size", "32"]) == 0
        runs.append(np.genfromtxt(tmp_path / name / "history.csv", delimiter=",", names=True))
    assert runs[0]["loss"] == pytest.approx(runs[1]["loss"], rel=1e-6)


def test_mirrored_strategy_trains_through_the_cli(tmp_path):
    out = tmp_path / "mirrored"
    assert main(["train", "classify", "--out", str(out), "--epochs", "1", "--steps-per-epoch", "2",
                 "--strategy", "mirrored", "--tensorboard", "--depth", "8"]) == 0
    assert list((out / "logs" / "train").glob("events.out.tfevents.*"))  # --tensorboard
    config = json.loads((out / "config.json").read_text())
    assert config["options"]["strategy"] == "mirrored"
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 1


def test_run_echoes_a_command_and_ends_a_script_with_its_status(tmp_path, capsys):
    from keras_taskadapt.cli import run

    with pytest.raises(SystemExit) as stopped:
        run("train", "classify", "--epochs", "0", "--out", tmp_path / "run")
    printed = capsys.readouterr()
    assert stopped.value.code == 2 and f"$ keras-taskadapt train classify --epochs 0 --out {tmp_path / 'run'}" in printed.out
    assert "--epochs" in printed.err and not (tmp_path / "run").exists()
