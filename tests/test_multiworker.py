"""Multi-worker training on ``tf.distribute`` for real (issue 16): worker processes on 127.0.0.1.

Each worker is its own process with its ``TF_CONFIG``, as on a cluster. A 2-worker run must
compute the step a 1-worker run computes on the same global batch: the same first-step loss
and the same weights after it. In float32 the two differ by rounding (about 0.5% of a step,
mostly from the variance of the batch statistics, summed in another order), so both runs
compute in float64 (Keras' ``floatx`` from a ``keras.json`` in ``KERAS_HOME``), where they
agree to 1e-9.
"""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_taskadapt.core.distribute import local_cluster
from conftest import shared_path

CLI = [sys.executable, "-m", "keras_taskadapt"]


def start_cluster(command, out, workers, home, scratch):
    """Start ``command --out out`` on ``workers`` worker processes."""
    processes = []
    for index, config in enumerate(local_cluster(workers)):
        environment = {**os.environ, "KERAS_HOME": str(home), "TMPDIR": str(scratch / f"worker{index}"),
                       "TF_CONFIG": config}
        os.makedirs(environment["TMPDIR"], exist_ok=True)
        processes.append(subprocess.Popen(CLI + command + ["--strategy", "multiworker", "--out", str(out)],
                                          env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          text=True))
    return processes


def run_cluster(command, out, workers, home, scratch):
    """Run ``command --out out`` on ``workers`` worker processes; their return codes and output."""
    processes = start_cluster(command, out, workers, home, scratch)
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    return [process.returncode for process in processes], outputs


@pytest.fixture(scope="module")
def float64_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("keras_home")
    (home / "keras.json").write_text(json.dumps({"floatx": "float64", "epsilon": 1e-7, "backend": "tensorflow",
                                                 "image_data_format": "channels_last"}))
    return home


def weights(path):
    from keras_taskadapt.core.keras_file import load_model

    return load_model(str(path)).get_weights()


def compare_one_and_two_workers(command, tmp_path, home, loss_column, files=("model.keras",)):
    """Run ``command`` on one worker and on two; the two must write one run folder and take the
    one-worker step (first epoch's ``loss_column``, the weights after training)."""
    scratch = tmp_path / "tmp"
    codes, outputs = run_cluster(command, tmp_path / "one", 1, home, scratch)
    assert codes == [0], outputs[0][-3000:]
    codes, outputs = run_cluster(command, tmp_path / "two", 2, home, scratch)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    for run in ("one", "two"):  # the chief wrote the run folder
        assert {"metrics.json", "config.json", "history.csv", *files} <= set(os.listdir(tmp_path / run))
    assert os.listdir(scratch / "worker1") == []  # the other worker's scratch folder is gone
    histories = [np.atleast_1d(np.genfromtxt(tmp_path / run / "history.csv", delimiter=",", names=True))
                 for run in ("one", "two")]
    assert float(histories[1][loss_column][0]) == pytest.approx(float(histories[0][loss_column][0]), rel=1e-9)
    for one, two in zip(weights(tmp_path / "one" / "model.keras"), weights(tmp_path / "two" / "model.keras")):
        np.testing.assert_allclose(two, one, rtol=1e-9, atol=1e-9)


def test_classify_on_two_workers_takes_the_one_worker_step(tmp_path, float64_home):
    compare_one_and_two_workers(["train", "classify", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "64",
                                 "--no-augment", "--depth", "8", "--seed", "0"], tmp_path, float64_home, "loss")


@pytest.fixture(scope="module")
def ldr_runs(tmp_path_factory, float64_home):
    """DuPHiL phase 1 on one worker and on two; its folders (the prune test starts from its model)."""
    folder = tmp_path_factory.mktemp("ldr")
    compare_one_and_two_workers(["train", "hierarchical", "--training", "duphil", "--epochs", "1",
                                 "--steps-per-epoch", "1", "--batch-size", "64", "--ldr-batch-size", "128",
                                 "--image-size", "16", "16", "--width", "0.125", "--latent-dim", "8", "--side-dim", "8",
                                 "--no-augment", "--seed", "0"], folder, float64_home, "ldr_loss")
    return folder


@pytest.mark.slow
def test_the_ldr_phase_on_two_workers_is_that_of_the_global_batch(ldr_runs):
    """DuPHiL phase 1: the LDR of the codes of all workers' images, gathered (eqs. 3.1-3.3);
    the fixture compares the runs."""
    assert json.loads((ldr_runs / "two" / "metrics.json").read_text())["accuracy"] == pytest.approx(
        json.loads((ldr_runs / "one" / "metrics.json").read_text())["accuracy"])


@pytest.mark.slow
def test_pruning_fine_tunes_on_two_workers_as_on_one(ldr_runs, tmp_path, float64_home):
    compare_one_and_two_workers(["train", "prune", "--model", str(ldr_runs / "one" / "model.keras"),
                                 "--keep-fraction", "0.5", "--score-examples", "64", "--epochs", "1",
                                 "--steps-per-epoch", "1", "--batch-size", "64", "--no-augment", "--seed", "0"],
                                tmp_path, float64_home, "loss", files=("model.keras", "pruned_layers.csv"))


@pytest.mark.slow
def test_jcc_alternation_on_two_workers_takes_the_one_worker_steps(tmp_path, float64_home):
    """Two classifier epochs, then a JPEG epoch (the second optimizer, the rate surrogate): the
    tables it learns on two workers are those it learns on one."""
    compare_one_and_two_workers(["train", "jcc", "--epochs", "3", "--steps-per-epoch", "1", "--batch-size", "32",
                                 "--eval-examples", "64", "--seed", "0"], tmp_path, float64_home, "loss",
                                files=("model.keras", "qtables.json"))
    tables = [json.loads((tmp_path / run / "qtables.json").read_text()) for run in ("one", "two")]
    assert tables[0] == tables[1]


@pytest.mark.slow
def test_salinity_emulator_on_two_workers_as_on_one(tmp_path, float64_home):
    """224 training days (the test fraction leaves 55 of the file's 279 windows), batches of 64:
    every global batch splits evenly, 32 + 32 and 16 + 16 (Keras averages the workers' means,
    which is the mean of the global batch when the shares are equal; README)."""
    data = shared_path("delta", "casanntra-dsm2", "dsm2_base_1.csv")
    compare_one_and_two_workers(["train", "salinity", "--data", str(data), "--epochs", "2", "--batch-size", "64",
                                 "--test-fraction", "0.197", "--seed", "0"], tmp_path, float64_home, "loss")
    metrics = [json.loads((tmp_path / run / "metrics.json").read_text()) for run in ("one", "two")]
    assert metrics[0]["train_samples"] == 224
    assert metrics[1]["mean_nmse"] == pytest.approx(metrics[0]["mean_nmse"], rel=1e-6)


@pytest.fixture(scope="module")
def tfrecord_shards(tmp_path_factory):
    """``tfrecord:`` shards of 96 training images (4 shards of 24) and 24 test images."""
    from PIL import Image

    from keras_taskadapt.cli import main

    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for split, count in (("train", 32), ("test", 8)):
        for label in range(3):
            folder = root / "folder" / split / f"class{label}"
            folder.mkdir(parents=True)
            for index in range(count):
                pixels = np.clip(rng.normal(60 + 60 * label, 30, (16, 16, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{index}.png")
    assert main(["data", "convert", "--dataset", f"folder:{root / 'folder'}", "--shards", "4",
                 "--out", str(root / "shards")]) == 0
    return f"tfrecord:{root / 'shards'}/*.tfrecord"


def test_tfrecord_training_is_sharded_by_file_and_evaluation_by_data(tfrecord_shards, monkeypatch):
    """Worker i of 2 reads the training shards i, i + 2 (their records, disjoint, cover the
    split); the test split stays whole on every worker (sharded by data, in order)."""
    from keras_taskadapt.core import distribute
    from keras_taskadapt.data import load_dataset, open_dataset

    source = open_dataset(tfrecord_shards)

    def labels_and_pixels(split, worker):
        monkeypatch.setattr(distribute, "worker_position", lambda: (2, worker))
        batches = load_dataset(tfrecord_shards, split, batch_size=200, shuffle=False, source=source)
        return [(int(label), image.tobytes()) for images, labels in batches.as_numpy_iterator()
                for image, label in zip(images, labels)]

    shares = [labels_and_pixels("train", worker) for worker in (0, 1)]
    assert len(shares[0]) == len(shares[1]) == 48
    assert not set(shares[0]) & set(shares[1])
    monkeypatch.setattr(distribute, "worker_position", lambda: (1, 0))
    everything = [(int(label), image.tobytes()) for images, labels in
                  load_dataset(tfrecord_shards, "train", batch_size=200, shuffle=False, source=source).as_numpy_iterator()
                  for image, label in zip(images, labels)]
    assert sorted(shares[0] + shares[1]) == sorted(everything)
    assert labels_and_pixels("test", 1) == labels_and_pixels("test", 0) and len(labels_and_pixels("test", 0)) == 24


@pytest.mark.slow
def test_a_killed_two_worker_run_resumes_from_the_chiefs_backup(tfrecord_shards, tmp_path, float64_home):
    """Both workers, each reading its own shards, killed in epoch 2 of 3; ``--resume`` on both
    continues from epoch 2."""
    command = ["train", "classify", "--dataset", tfrecord_shards, "--epochs", "3", "--batch-size", "8",
               "--no-augment", "--depth", "8", "--seed", "0"]
    out, scratch = tmp_path / "run", tmp_path / "tmp"
    processes = start_cluster(command, out, 2, float64_home, scratch)
    metadata = out / "backup" / "training_metadata.json"
    deadline = time.monotonic() + 300
    while not metadata.exists() and time.monotonic() < deadline and all(p.poll() is None for p in processes):
        time.sleep(0.1)
    for process in processes:
        process.kill()
        process.communicate()
    assert metadata.exists() and not (out / "metrics.json").exists(), "the run ended before it could be killed"
    first_epoch = (out / "history.csv").read_text().splitlines()
    assert len(first_epoch) == 2  # the header and epoch 1
    codes, outputs = run_cluster(command + ["--resume"], out, 2, float64_home, scratch)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    assert all("Epoch 1/3" not in output and "Epoch 2/3" in output for output in outputs)
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[:2] == first_epoch and len(rows) == 4
    assert (out / "metrics.json").exists() and not (out / "backup").exists()
