"""Bad input, data loss and deployment truth (issue 13): what a new user hit, one test each.

Every mistake a user can make ends in one line ``error: ...`` and exit status 2, leaves
nothing half-written and deletes nothing the package did not write.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.cli import main
from tests.conftest import one_line_error

CLI = [sys.executable, "-m", "keras_taskadapt"]


def image_folder(root, size=(16, 16), classes=2, per_class=10, odd=None):
    """``root/<class>/<i>.png`` images of ``size``; ``odd``: ``(name, size)`` of one more image in class 0."""
    rng = np.random.default_rng(0)
    for label in range(classes):
        os.makedirs(root / f"c{label}", exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / f"c{label}" / f"{index:03d}.png")
    if odd is not None:
        name, odd_size = odd
        Image.fromarray(rng.integers(0, 256, (*odd_size, 3), dtype=np.uint8)).save(root / "c0" / name)
    return root


# -- data loss and silent wrong results -------------------------------------------------------


def test_force_replaces_only_what_the_export_writes(classifier_run, tmp_path):
    model = str(classifier_run / "model.keras")
    out = tmp_path / "served"
    assert main(["export", "savedmodel", "--model", model, "--out", str(out)]) == 0
    (out / "thesis.tex").write_text("two years of work")
    (out / "variables" / "notes.txt").write_text("mine too")
    assert main(["export", "savedmodel", "--model", model, "--out", str(out), "--force"]) == 0
    assert (out / "thesis.tex").read_text() == "two years of work"
    assert (out / "saved_model.pb").is_file() and (out / "assets.extra" / "contract.json").is_file()
    assert not (out / "variables" / "notes.txt").exists()  # inside an entry the export replaces
    assert sorted(json.loads((out / ".keras-taskadapt-artifact.json").read_text())["entries"]) == sorted(
        entry for entry in os.listdir(out) if entry not in ("thesis.tex", ".keras-taskadapt-artifact.json"))


def test_force_on_a_folder_removes_the_previous_exports_stale_files(tmp_path):
    from export.artifact import staged_artifact

    folder = tmp_path / "deploy"
    for entries in (("a.bin", "old.bin"), ("a.bin",)):
        with staged_artifact(str(folder), force=True) as staging:
            os.makedirs(staging)
            for entry in entries:
                with open(os.path.join(staging, entry), "w") as handle:
                    handle.write(entry)
        (folder / "user.txt").write_text("keep")
    assert sorted(os.listdir(folder)) == [".keras-taskadapt-artifact.json", "a.bin", "user.txt"]


def test_a_file_of_another_size_does_not_decide_the_data_sets_size(tmp_path, capsys):
    from keras_taskadapt.data import open_dataset

    root = image_folder(tmp_path / "images", odd=("000_first.png", (37, 53)))
    source = open_dataset(f"folder:{root}")
    assert source.image_shape == (16, 16, 3) and source.resized_images == 1
    said = capsys.readouterr().err
    assert "1 image(s) are not 16x16 (the majority size" in said and "000_first.png" in said
    images = np.concatenate([batch for batch, _ in source.examples("train").batch(64).as_numpy_iterator()])
    assert images.shape[1:] == (16, 16, 3)
    declared = open_dataset(f"folder:{root}", image_shape=(8, 8, 3))
    assert declared.image_shape == (8, 8, 3) and declared.resized_images == 21


@pytest.mark.parametrize("command", [
    ["train", "jcc", "--epochs", "0"],
    ["train", "jcc", "--steps-per-epoch", "0"],
    ["train", "classify", "--batch-size", "0"],
    ["train", "classify", "--steps-per-epoch", "-3"],
    ["train", "hierarchical", "--epochs", "0"],
    ["train", "hierarchical", "--latent-dim", "0"],
    ["train", "prune", "--model", "m.keras", "--keep-fraction", "0.5", "--epochs", "0"],
    ["train", "salinity", "--data", "x.csv", "--patience", "0"],
    ["sweep", "jcc", "--classifier-epochs", "0"],
    ["evaluate", "jcc", "--model", "m.keras", "--eval-examples", "0"],
    ["export", "split-ae", "--model", "m.keras", "--train-examples", "0"],
    ["export", "tflite", "--model", "m.keras", "--representative-batches", "0"],
    ["data", "convert", "--shards", "0"],
])
def test_every_count_option_rejects_values_below_1(command, tmp_path, capsys):
    message = one_line_error(capsys, command + ["--out", str(tmp_path / "out")])
    assert "must be 1 or more" in message
    assert not (tmp_path / "out").exists()


def test_the_main_job_learns_tables_by_frequency_and_channel_below_the_baselines_rate(jcc_main_job):
    from keras_taskadapt.data import load_dataset
    from keras_taskadapt.jpeg import evaluate_real_jpeg, standard_qtables
    from keras_taskadapt.jpeg.jcc_config import load_jcc_model

    out, metrics = jcc_main_job
    tables = np.array(json.loads((out / "qtables.json").read_text())["tables"])
    assert len(np.unique(tables)) > 20  # not one flat value
    luma, chroma = tables[0], tables[1:]
    assert luma[0, 0] < luma[7, 7] and chroma.mean() > luma.mean()  # coarser at high frequency and in chroma
    assert np.abs(tables - standard_qtables(50)).max() >= 2  # moved from the q50 start
    model = load_jcc_model(str(out / "model.keras"))
    test = load_dataset("sklearn_digits", "test", batch_size=256, shuffle=False)
    baseline = evaluate_real_jpeg(model.classifier, standard_qtables(50), test.as_numpy_iterator())
    assert metrics["kb_per_image"] < baseline["kb_per_image"]  # the learned tables cost less than q50
    assert metrics["accuracy"] > 0.8


# -- tracebacks where one line was promised ---------------------------------------------------


@pytest.mark.parametrize("kept", [0.05, 0.7], ids=["header-cut", "data-cut"])
def test_a_corrupt_jpeg_in_a_folder_is_named_and_skip_corrupt_skips_and_counts_it(kept, tmp_path, capsys):
    root = image_folder(tmp_path / "images")
    jpeg = root / "c1" / "005.jpg"
    Image.open(root / "c1" / "005.png").save(jpeg, quality=90)
    os.remove(root / "c1" / "005.png")
    jpeg.write_bytes(jpeg.read_bytes()[:int(kept * jpeg.stat().st_size)])  # truncated
    command = ["train", "classify", "--dataset", f"folder:{root}", "--depth", "8", "--epochs", "1",
               "--batch-size", "8"]
    message = one_line_error(capsys, command + ["--out", str(tmp_path / "strict")])
    assert str(jpeg) in message and "--skip-corrupt" in message
    assert main(command + ["--out", str(tmp_path / "lenient"), "--skip-corrupt"]) == 0
    metrics = json.loads((tmp_path / "lenient" / "metrics.json").read_text())
    assert metrics["skipped_records"] == 1 and metrics["train_examples"] + metrics["test_examples"] == 19
    message = one_line_error(capsys, ["data", "convert", "--dataset", f"folder:{root}", "--format", "raw",
                                      "--out", str(tmp_path / "shards")])
    assert str(jpeg) in message
    assert main(["data", "convert", "--dataset", f"folder:{root}", "--format", "raw", "--skip-corrupt",
                 "--out", str(tmp_path / "shards2")]) == 0


def test_a_tfrecord_of_another_schema_given_to_train_is_one_line(tmp_path, capsys):
    import tensorflow as tf

    from tfrecords_tools import dense_example

    os.makedirs(tmp_path / "dense")
    with tf.io.TFRecordWriter(str(tmp_path / "dense" / "train-00000.tfrecord")) as writer:
        writer.write(dense_example(np.zeros((4, 4), np.float32), 0).SerializeToString())
    message = one_line_error(capsys, ["train", "classify", "--dataset", f"tfrecord:{tmp_path}/dense/*.tfrecord",
                                      "--out", str(tmp_path / "out")])
    assert message.startswith("error: --dataset: ") and "dense tensors" in message
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "train-0.tfrecord").write_bytes(b"\x00" * 8)
    assert "--dataset" in one_line_error(capsys, ["train", "classify", "--dataset",
                                                  f"tfrecord:{tmp_path}/junk/*.tfrecord", "--out", str(tmp_path / "o")])


def _damaged_weights(path, copy):
    """A copy of the ``.keras`` file at ``path`` whose weights file is cut short."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[:len(data) // 3] if item.filename.endswith(".h5") else data)
    return str(copy)


def test_damaged_weights_on_the_jcc_paths_are_one_line(jcc_main_job, tmp_path, capsys):
    damaged = _damaged_weights(jcc_main_job[0] / "model.keras", tmp_path / "damaged.keras")
    for command in (["evaluate", "jcc", "--model", damaged, "--dataset", "sklearn_digits", "--out",
                     str(tmp_path / "e")],
                    ["export", "qtables", "--model", damaged, "--out", str(tmp_path / "t")]):
        assert one_line_error(capsys, command).startswith(f"error: --model: {damaged}: Keras cannot load it")
    assert not (tmp_path / "t").exists()


def test_evaluate_salinity_says_what_a_file_is_not(classifier_run, delta_dir, tmp_path, capsys):
    data = ["--data", str(delta_dir / "dsm2_base_historical.csv"), "--out", str(tmp_path / "out")]
    message = one_line_error(capsys, ["evaluate", "salinity", "--model", str(classifier_run / "model.keras")] + data)
    assert "is not a salinity emulator" in message and "Could not locate" not in message
    (tmp_path / "notes.keras").write_text("an existing file that is no model")
    message = one_line_error(capsys, ["evaluate", "salinity", "--model", str(tmp_path / "notes.keras")] + data)
    assert "not a .keras model file" in message and "not found" not in message


def test_evaluate_reads_the_data_set_recorded_with_the_model(tmp_path, capsys):
    root = image_folder(tmp_path / "images", size=(64, 64), per_class=6)
    run = tmp_path / "jcc64"
    assert main(["train", "jcc", "--dataset", f"folder:{root}", "--classifier", "resnet20", "--depth", "8",
                 "--epochs", "1", "--batch-size", "4", "--quality", "50", "--out", str(run)]) == 0
    assert main(["evaluate", "jcc", "--model", str(run / "model.keras"), "--out", str(tmp_path / "eval")]) == 0
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["dataset"] == f"folder:{root}"
    shutil.copy(run / "model.keras", tmp_path / "alone.keras")
    message = one_line_error(capsys, ["evaluate", "jcc", "--model", str(tmp_path / "alone.keras"),
                                      "--out", str(tmp_path / "e2")])
    assert message.startswith("error: --dataset: the model's folder records no data set")
    message = one_line_error(capsys, ["evaluate", "jcc", "--model", str(tmp_path / "alone.keras"),
                                      "--dataset", "sklearn_digits", "--out", str(tmp_path / "e3")])
    assert "takes images of (64, 64, 3)" in message and "(32, 32, 3)" in message


# -- wrong messages and rough edges -----------------------------------------------------------


def test_verify_passes_over_the_side_files_of_a_conversion(tmp_path, capsys):
    out = tmp_path / "shards"
    assert main(["data", "convert", "--out", str(out), "--format", "raw", "--shards", "2"]) == 0
    written = capsys.readouterr().out
    assert "\x1b" not in written and "\r" not in written and "train split: 1437/1437 records" in written
    assert {"labels.txt", "metrics.json"} <= set(os.listdir(out))
    assert main(["data", "verify", str(out / "*")]) == 0
    assert "1797 intact records in 4 files" in capsys.readouterr().out


def test_a_rerun_into_a_finished_run_is_refused_without_force(classifier_run, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(classifier_run, out)
    (out / "mine.txt").write_text("keep me")
    command = ["train", "classify", "--out", str(out), "--epochs", "1", "--steps-per-epoch", "1"]
    before = (out / "metrics.json").read_text()
    message = one_line_error(capsys, command)
    assert message.startswith("error: --out: ") and "already holds a run" in message
    assert (out / "metrics.json").read_text() == before
    assert main(command + ["--force"]) == 0
    assert (out / "mine.txt").read_text() == "keep me" and json.loads((out / "metrics.json").read_text())["epochs"] == 1


def test_config_holds_only_options_and_every_file_has_one_mode(classifier_run):
    config = json.loads((classifier_run / "config.json").read_text())
    assert "run" not in config["options"] and "<function" not in json.dumps(config)
    modes = {stat.S_IMODE(os.stat(classifier_run / name).st_mode) for name in os.listdir(classifier_run)
             if (classifier_run / name).is_file()}
    umask = os.umask(0)
    os.umask(umask)
    assert modes == {0o666 & ~umask}


def test_a_command_prints_no_start_up_noise(classifier_run, tmp_path):
    done = subprocess.run(CLI + ["evaluate", "classify", "--model", str(classifier_run / "model.keras"), "--out",
                                 str(tmp_path / "eval")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for noise in ("cuInit", "cuda", "oneDNN", "absl", "ran out of data", "Skipping variable loading"):
        assert noise not in done.stderr + done.stdout, noise


def test_a_tfrecord_run_knows_its_steps_and_a_jcc_model_loads_without_warnings(jcc_main_job, tmp_path):
    from keras_taskadapt.data import open_image_data
    from keras_taskadapt.jpeg.jcc_config import load_jcc_model

    assert main(["data", "convert", "--out", str(tmp_path / "shards"), "--shards", "2"]) == 0
    data = open_image_data(f"tfrecord:{tmp_path}/shards/*.tfrecord", batch_size=100)
    assert int(data.train.cardinality()) == 15  # 1,437 records: Keras knows when an epoch ends
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_jcc_model(str(jcc_main_job[0] / "model.keras"))
    assert [str(warning.message) for warning in caught] == []
    assert int(model.jpeg_optimizer.iterations.numpy()) > 0  # both optimizers' states came back


# -- deployment a device engineer can follow --------------------------------------------------


def test_the_jcc_sensor_report_says_how_to_read_its_outputs(jcc_main_job, tmp_path):
    assert main(["export", "jcc-sensor", "--model", str(jcc_main_job[0] / "model.keras"), "--out",
                 str(tmp_path / "sensor.tflite")]) == 0
    contract = json.loads((tmp_path / "sensor.tflite.report.json").read_text())["contract"]
    names = [output["name"] for output in contract["signature_outputs"]]
    assert sorted(names) == ["cb", "cr", "y"] and "by name" in contract["outputs"] and "0..255" in contract["input"]
