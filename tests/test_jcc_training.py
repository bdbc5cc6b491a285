"""JCC training (alternation, baseline, real rates), its CLI and the table export."""

import io
import json
import subprocess

import keras
import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.cli import main
from keras_taskadapt.jpeg import (
    JointCompressionClassifier,
    JpegCodec,
    QuantizationRate,
    encode_jpeg,
    evaluate_real_jpeg,
    standard_qtables,
)
from keras_taskadapt.models import cifar_resnet
from keras_taskadapt.phases import PhaseSchedule


def _model(train_jpeg=True, quality=None):
    codec = JpegCodec(initial_tables=quality, scale=1.0 if quality else 10.0,
                      rate_penalty=QuantizationRate(1e-2) if train_jpeg else None)
    classifier = cifar_resnet(3, (16, 16, 3), depth=8)
    model = JointCompressionClassifier(codec, classifier, classifier_epochs=1, jpeg_epochs=1, train_jpeg=train_jpeg)
    model(np.zeros((1, 16, 16, 3), np.float32))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jpeg_optimizer=keras.optimizers.Adam(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data(count=32):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 16, 16, 3)).astype(np.float32), rng.integers(0, 3, count)


def _values(variables):
    return [np.array(variable) for variable in variables]


def test_each_phase_trains_only_its_group():
    model = _model()
    images, labels = _data()
    codec_before, classifier_before = _values(model.codec.weights), _values(model.classifier.weights)
    model.fit(images, labels, epochs=1, batch_size=16, verbose=0, callbacks=[PhaseSchedule()])
    assert model.phase == "classifier"
    assert all(np.array_equal(a, b) for a, b in zip(codec_before, _values(model.codec.weights)))
    changed = [not np.array_equal(a, b) for a, b in zip(classifier_before, _values(model.classifier.weights))]
    assert any(changed)
    classifier_after = _values(model.classifier.weights)  # BN statistics included: a frozen classifier
    model.fit(images, labels, initial_epoch=1, epochs=2, batch_size=16, verbose=0, callbacks=[PhaseSchedule()])
    assert model.phase == "jpeg"
    assert all(np.array_equal(a, b) for a, b in zip(classifier_after, _values(model.classifier.weights)))
    assert not np.array_equal(codec_before[-1], np.array(model.codec.quantization.kernels))


def test_the_rate_surrogate_pulls_the_kernels_down():
    model = _model()
    model.set_phase("jpeg")
    images, labels = _data()
    before = float(np.sum(np.square(model.codec.quantization.kernels)))
    model.fit(images, labels, epochs=3, batch_size=16, verbose=0)
    assert float(np.sum(np.square(model.codec.quantization.kernels))) < before


def test_baseline_keeps_the_standard_tables():
    model = _model(train_jpeg=False, quality=50)
    images, labels = _data()
    model.fit(images, labels, epochs=2, batch_size=16, verbose=0, callbacks=[PhaseSchedule()])
    assert model.phase == "classifier"
    assert np.allclose(model.codec.quantization.qtables(), standard_qtables(50))


def test_saved_model_reloads_and_predicts_identically(tmp_path):
    model = _model()
    images, _ = _data(8)
    model.save(tmp_path / "jcc.keras")
    reloaded = keras.models.load_model(tmp_path / "jcc.keras")
    assert isinstance(reloaded, JointCompressionClassifier)
    assert np.array_equal(model.predict(images, verbose=0), reloaded.predict(images, verbose=0))


def test_real_rate_evaluation_measures_real_files():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    labels = np.arange(6) % 3

    class Oracle(keras.Model):  # predicts the labels, so accuracy must be 1
        def call(self, batch):
            return keras.ops.one_hot(keras.ops.convert_to_tensor(labels)[: keras.ops.shape(batch)[0]], 3)

    tables = standard_qtables(40).astype(float)
    tables[0, 0, 0] = 300.0  # clipped to 255
    metrics = evaluate_real_jpeg(Oracle(), tables, [(images, labels)])
    clipped = np.minimum(np.rint(tables), 255).astype(int)
    sizes = [len(encode_jpeg(image, clipped)) for image in images]
    assert metrics["accuracy"] == 1.0 and metrics["clipped_entries"] == 1 and metrics["images"] == 6
    assert metrics["kb_per_image"] == pytest.approx(np.mean(sizes) / 1024)
    assert metrics["bpp"] == pytest.approx(8 * np.sum(sizes) / (6 * 16 * 16))
    assert 10 < metrics["psnr"] < 40 and 0 < metrics["ssim"] < 1


@pytest.fixture
def jcc_run(jcc_main_job):
    """The main job: ``train jcc`` on the offline default, with its defaults (the session's)."""
    return jcc_main_job[0]


def test_main_job_writes_real_rate_metrics(jcc_run):
    metrics = json.loads((jcc_run / "metrics.json").read_text())
    for key in ("accuracy", "kb_per_image", "bpp", "psnr", "ssim", "clipped_entries", "lambda", "lambda1", "c",
                "quality", "simulated_accuracy"):
        assert key in metrics, key
    assert metrics["images"] == 360 and metrics["epochs"] == 7 and metrics["mode"] == "jcc"
    assert 0 < metrics["kb_per_image"] < 5 and metrics["bpp"] == pytest.approx(metrics["kb_per_image"] * 1024 * 8 / 32**2)
    for name in ("model.keras", "qtables.json", "qtables.png", "history.csv", "config.json"):
        assert (jcc_run / name).is_file(), name
    history = np.genfromtxt(jcc_run / "history.csv", delimiter=",", names=True)
    assert history["phase"].tolist() == [0, 0, 1, 0, 0, 1, 0]  # 2 classifier epochs, 1 JPEG epoch, ... classifier


def test_export_qtables_for_cjpeg(jcc_run, tmp_path):
    out = tmp_path / "tables"
    assert main(["export", "qtables", "--model", str(jcc_run / "model.keras"), "--out", str(out)]) == 0
    learned = np.array(json.loads((out / "qtables.json").read_text())["tables"])
    assert learned.shape == (3, 8, 8) and (out / "qtables.h").is_file() and (out / "qtables.png").is_file()
    report = json.loads((out / "qtables.report.json").read_text())
    assert report["kind"] == "jpeg-qtables" and "-qslots 0,1,2" in report["contract"]["cjpeg"]
    photo = Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 56, 3), dtype=np.uint8))
    buffer = io.BytesIO()  # the README's Pillow example
    photo.save(buffer, format="JPEG", qtables=json.loads((out / "qtables.json").read_text())["pillow_qtables"],
               subsampling="4:2:0", optimize=True)
    assert [np.reshape(table, (8, 8)).tolist() for table in Image.open(buffer).quantization.values()] \
        == learned.tolist()
    image = tmp_path / "image.ppm"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)).save(image)
    encoded = subprocess.run(["cjpeg", "-qtables", str(out / "qtables.txt"), "-qslots", "0,1,2", "-sample", "2x2",
                              str(image)], capture_output=True, check=True).stdout
    carried = Image.open(io.BytesIO(encoded)).quantization
    assert [np.reshape(carried[i], (8, 8)).tolist() for i in range(3)] == learned.tolist()
    assert main(["export", "qtables", "--model", str(jcc_run / "model.keras"), "--out", str(out)]) == 2


def test_evaluate_jcc_on_real_files(jcc_run, tmp_path):
    assert main(["evaluate", "jcc", "--model", str(jcc_run / "model.keras"), "--out", str(tmp_path),
                 "--eval-examples", "100"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["images"] == 100 and 0 <= metrics["accuracy"] <= 1


@pytest.mark.parametrize("arguments, fragment", [
    (["--mode", "baseline"], "error: --quality: the baseline mode needs a standard-table quality"),
    (["--quality", "101"], "error: --quality: quality must be 1..100"),
    (["--lam", "-1"], "argument --lam: must be 0 or more"),
])
def test_bad_jcc_options_are_one_line_errors(arguments, fragment, tmp_path, capsys):
    assert main(["train", "jcc", "--out", str(tmp_path)] + arguments) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and fragment in error


def test_evaluate_jcc_refuses_a_plain_classifier(tmp_path, capsys):
    cifar_resnet(3, (16, 16, 3), depth=8).save(tmp_path / "plain.keras")
    assert main(["evaluate", "jcc", "--model", str(tmp_path / "plain.keras"), "--out", str(tmp_path / "o")]) == 2
    assert "not a JCC model" in capsys.readouterr().err


def test_stored_coefficients_match_the_encoder_layout():
    from keras_taskadapt.jpeg import JpegEncoder
    from keras_taskadapt.jpeg.real_rate import stored_coefficient_grids

    image = np.random.default_rng(3).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    tables = standard_qtables(75)
    stored = stored_coefficient_grids([encode_jpeg(image, tables)])
    encoded = JpegEncoder(initial_tables=tables)(image[None].astype(np.float32))
    for name in ("y", "cb", "cr"):
        assert stored[name].shape == tuple(encoded[name].shape)
        assert np.mean(stored[name] == np.asarray(encoded[name])) > 0.99


def test_dct_domain_classifier_reads_the_stored_coefficients(tmp_path):
    out = tmp_path / "dct"
    assert main(["train", "jcc", "--classifier", "dct", "--depth", "14", "--width", "0.125", "--out", str(out),
                 "--epochs", "1", "--steps-per-epoch", "2", "--eval-examples", "64"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["images"] == 64 and 0 <= metrics["accuracy"] <= 1
