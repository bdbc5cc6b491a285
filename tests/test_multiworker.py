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

import numpy as np
import pytest

from keras_taskadapt.core.distribute import local_cluster

CLI = [sys.executable, "-m", "keras_taskadapt"]


def run_cluster(command, out, workers, home, scratch):
    """Run ``command --out out`` on ``workers`` worker processes; their return codes and output."""
    processes = []
    for index, config in enumerate(local_cluster(workers)):
        environment = {**os.environ, "KERAS_HOME": str(home), "TMPDIR": str(scratch / f"worker{index}"),
                       "TF_CONFIG": config}
        os.makedirs(environment["TMPDIR"], exist_ok=True)
        processes.append(subprocess.Popen(CLI + command + ["--strategy", "multiworker", "--out", str(out)],
                                          env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          text=True))
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


def compare_one_and_two_workers(command, tmp_path, home, loss_column):
    scratch = tmp_path / "tmp"
    codes, outputs = run_cluster(command, tmp_path / "one", 1, home, scratch)
    assert codes == [0], outputs[0][-3000:]
    codes, outputs = run_cluster(command, tmp_path / "two", 2, home, scratch)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    for run in ("one", "two"):  # the chief wrote the run folder
        assert {"metrics.json", "config.json", "history.csv", "model.keras"} <= set(os.listdir(tmp_path / run))
    assert os.listdir(scratch / "worker1") == []  # the other worker's scratch folder is gone
    histories = [np.genfromtxt(tmp_path / run / "history.csv", delimiter=",", names=True) for run in ("one", "two")]
    assert float(histories[1][loss_column]) == pytest.approx(float(histories[0][loss_column]), rel=1e-9)
    for one, two in zip(weights(tmp_path / "one" / "model.keras"), weights(tmp_path / "two" / "model.keras")):
        np.testing.assert_allclose(two, one, rtol=1e-9, atol=1e-9)


def test_classify_on_two_workers_takes_the_one_worker_step(tmp_path, float64_home):
    compare_one_and_two_workers(["train", "classify", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "64",
                                 "--no-augment", "--depth", "8", "--seed", "0"], tmp_path, float64_home, "loss")


def test_the_ldr_phase_on_two_workers_is_that_of_the_global_batch(tmp_path, float64_home):
    """DuPHiL phase 1: the LDR of the codes of all workers' images, gathered (eqs. 3.1-3.3)."""
    compare_one_and_two_workers(["train", "hierarchical", "--training", "duphil", "--epochs", "1",
                                 "--steps-per-epoch", "1", "--batch-size", "64", "--ldr-batch-size", "128",
                                 "--image-size", "16", "16", "--width", "0.125", "--latent-dim", "8", "--side-dim", "8",
                                 "--no-augment", "--seed", "0"], tmp_path, float64_home, "ldr_loss")
