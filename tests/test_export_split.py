"""The split auto-encoder's sensor and server exports (issue 6, seed 000 figure 3.3) on real CIFAR-10.

One small split auto-encoder is trained for the module on a slice of the real training set;
the parity figures of issue 6 are checked on the real test set: the float TFLite sensor
sends the Keras sensor's symbols, the server artifacts agree with the Keras server, the
int8 sensor keeps the accuracy of the float pipeline on all 10,000 test images, and the QAT
sensor converts, runs and is measured next to it.
"""

import json
import os
import subprocess
import sys
from typing import NamedTuple

import keras
import numpy as np
import pytest
from conftest import one_line_error, shared_path

from export import (
    LiteRTModel,
    deployed_codec,
    export_sensor,
    export_split,
    quantization_aware_sensor,
    representative_data,
    step_sizes_for,
    tf_keras_twin,
)
from keras_taskadapt.cli import main
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data import load_dataset, open_image_data
from keras_taskadapt.hierarchical.latent import SplitCodec
from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder
from keras_taskadapt.hierarchical.training import EndToEnd

TRAIN_IMAGES, TEST_IMAGES, REPORT_IMAGES = 6144, 10000, 1000


@pytest.fixture(scope="module")
def cifar():
    """The glob of the real CIFAR-10 records, a training slice and the whole test set."""
    tfrecords = str(shared_path("images", "cifar10-jpeg-q75") / "*.tfrecord")
    data = open_image_data(f"tfrecord:{tfrecords}")
    train = data.first_examples("train", TRAIN_IMAGES)
    test = data.first_examples("test", TEST_IMAGES)
    assert len(test[0]) == TEST_IMAGES
    return tfrecords, train, test


@pytest.fixture(scope="module")
def trained(cifar, tmp_path_factory):
    """A width-0.25 split auto-encoder (dy = 32) trained end to end on the slice, and its .keras file."""
    _, (images, labels), _ = cifar
    keras.utils.set_random_seed(0)
    parts = split_autoencoder(10, (32, 32, 3), width=0.25, latent_dim=32, weight_decay=0, seed=0)
    model = EndToEnd(*parts, name="e2e")
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(images, labels, batch_size=128, epochs=3, verbose=0)
    path = tmp_path_factory.mktemp("split") / "model.keras"
    model.save(path)
    return model, str(path)


def _accuracy(server, symbols, labels):
    return float(np.mean(np.argmax(_probabilities(server, symbols), axis=-1) == labels))


def _probabilities(server, symbols):
    return server.predict(np.asarray(symbols, np.float32), batch_size=1000, verbose=0)


class FloatPipeline(NamedTuple):
    """The codec, its Keras sensor and server, the sensor's test symbols and the server's test outputs."""

    codec: SplitCodec
    sensor: keras.Model
    server: keras.Model
    symbols: np.ndarray
    probabilities: np.ndarray
    accuracy: float


@pytest.fixture(scope="module")
def float_pipeline(trained, cifar):
    model, _ = trained
    _, _, (images, labels) = cifar
    codec = deployed_codec(model, train_images=cifar[1][0])
    sensor, server = codec.sensor_model(), codec.server_model()
    symbols = sensor.predict(images, batch_size=1000, verbose=0)
    probabilities = _probabilities(server, symbols)
    accuracy = float(np.mean(np.argmax(probabilities, axis=-1) == labels))
    assert accuracy > 0.25  # trained: well above chance (0.1); about 0.32
    return FloatPipeline(codec, sensor, server, symbols, probabilities, accuracy)


def test_the_split_is_the_trained_pipeline(trained, cifar, float_pipeline):
    model, _ = trained
    _, _, (images, _) = cifar
    _, _, server, symbols = float_pipeline[:4]
    batch = images[:256]
    assert symbols.dtype == np.int32 and symbols.shape == (TEST_IMAGES, 32)
    expected = keras.ops.convert_to_numpy(model.quantizer.to_symbols(model.encoder(batch)))
    np.testing.assert_array_equal(symbols[:256], expected)
    assert np.unique(symbols).size > 5  # a latent worth sending, not a constant
    np.testing.assert_allclose(server.predict(symbols[:256].astype(np.float32), verbose=0),
                               model.predict(batch, verbose=0), atol=1e-5)


def test_float_export_matches_keras_on_real_test_images(cifar, float_pipeline, tmp_path):
    _, _, (images, labels) = cifar
    codec, sensor, server, symbols, expected, accuracy = float_pipeline
    reports = export_split(codec, tmp_path / "split", batch=images[:REPORT_IMAGES])
    folder = tmp_path / "split"
    assert sorted(os.listdir(folder)) == [".keras-taskadapt-artifact.json", "entropy_coder.npz", "sensor.tflite",
                                          "sensor.tflite.report.json", "server", "server.report.json",
                                          "server.tflite", "server.tflite.report.json", "stream_writer.py"]
    written = {name: json.loads((folder / f"{name}.report.json").read_text()) for name in reports}
    assert all(written[name]["artifact"] == str(folder / name) for name in reports)
    assert written["sensor.tflite"]["kind"] == "split-sensor-float"
    assert written["sensor.tflite"]["parity"]["identical_fraction"] >= 0.999
    assert written["server"]["parity"]["max_abs_diff"] < 1e-4
    assert written["server.tflite"]["parity"]["max_abs_diff"] < 1e-4
    assert all(report["size_bytes"] > 0 and report["latency_ms_per_input"] > 0 for report in written.values())

    served = LiteRTModel(folder / "sensor.tflite").predict(images)  # the whole test set
    assert served.dtype == np.int32 and np.mean(served == symbols) >= 0.999
    probabilities = LiteRTModel(folder / "server.tflite").predict(symbols.astype(np.float32))
    assert np.max(np.abs(probabilities - expected)) < 1e-4
    assert float(np.mean(np.argmax(probabilities, axis=-1) == labels)) == pytest.approx(accuracy, abs=1e-3)

    # the device side: the folder's stream writer, NumPy alone, writes the package's streams
    np.save(tmp_path / "served.npy", served[:50])
    device = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy as np, stream_writer;"
              "models = stream_writer.load_models(sys.argv[1] + '/entropy_coder.npz');"
              "[open(f'{sys.argv[2]}/{i}.bin', 'wb').write(stream_writer.image_stream(models, row))"
              " for i, row in enumerate(np.load(sys.argv[2] + '/served.npy'))];"
              "assert not {'tensorflow', 'keras', 'constriction', 'keras_taskadapt'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", device, str(folder), str(tmp_path)], check=True)
    device_streams = [(tmp_path / f"{index}.bin").read_bytes() for index in range(50)]
    assert device_streams == codec.compress_symbols(served[:50])

    rate = written["sensor.tflite"]["rate"]
    report_symbols = symbols[:REPORT_IMAGES]
    assert rate["images"] == REPORT_IMAGES
    assert rate["ideal_bits_per_image"] == pytest.approx(
        codec.coder.information_content(report_symbols) / REPORT_IMAGES, rel=1e-3)
    assert rate["ideal_bits_per_image"] <= rate["amortised_bits_per_image"] <= rate["ideal_bits_per_image"] + 1
    assert rate["bits_per_image"] == pytest.approx(np.mean([8 * len(stream) for stream in
                                                            codec.compress_symbols(report_symbols)]))
    assert rate["bpp"] == pytest.approx(rate["bits_per_image"] / 1024)
    contract = written["sensor.tflite"]["contract"]
    assert contract["signature_inputs"][0]["dtype"] == "float32" and "0..255" in contract["input"]
    assert contract["stream"]["format_version"] == 1 and "decode_streams" in contract["stream"]["server_decoder"]


def test_int8_sensor_keeps_the_accuracy_on_the_cifar10_test_set(cifar, float_pipeline, tmp_path):
    tfrecords, _, (images, labels) = cifar
    _, sensor, server, symbols, _, float_accuracy = float_pipeline
    train = load_dataset(f"tfrecord:{tfrecords}", "train", batch_size=32, shuffle=True, seed=1)
    path = tmp_path / "sensor-int8.tflite"
    report = export_sensor(sensor, path, mode="int8", representative=representative_data(train, 8),
                           batch=images[:REPORT_IMAGES])
    runner = LiteRTModel(path)
    assert runner.input_details["pixels"]["dtype"] == np.int8
    assert report.kind == "split-sensor-int8" and report.size_bytes < 0.5 * 4 * sensor.count_params()
    served = runner.predict(images)
    int8_accuracy = _accuracy(server, served, labels)
    print(f"\nfloat pipeline {float_accuracy:.4f}, int8 sensor -> float server {int8_accuracy:.4f} "
          f"({np.mean(served == symbols):.4f} of the symbols identical) on {len(labels)} test images")
    # The float model is the same on every run of one machine (seeded, deterministic kernels), but its
    # numbers differ between CPUs; the int8 drop was 0.7 points here and 1.2 on another machine, so
    # the bound is 2 points of the 10,000 test images.
    assert abs(int8_accuracy - float_accuracy) <= 0.02


@pytest.mark.slow  # 40 s: the default run stays under 15 minutes
def test_qat_sensor_converts_runs_and_is_measured_next_to_ptq(trained, cifar, float_pipeline, tmp_path):
    model, _ = trained
    tfrecords, (train_images, _), (images, labels) = cifar
    codec, sensor, server, symbols, _, float_accuracy = float_pipeline
    steps = step_sizes_for(model)
    qat_sensor = quantization_aware_sensor(model.encoder, train_images[:4096], steps, steps=100)
    train = load_dataset(f"tfrecord:{tfrecords}", "train", batch_size=32, shuffle=True, seed=1)
    path = tmp_path / "sensor-qat.tflite"
    report = export_sensor(qat_sensor, path, mode="qat", representative=representative_data(train, 2),
                           batch=images[:REPORT_IMAGES], codec=codec)
    runner = LiteRTModel(path)
    assert runner.input_details["pixels"]["dtype"] == np.int8 and report.kind == "split-sensor-qat"
    assert report.parity["identical_fraction"] >= 0.95  # the int8 artifact follows its fake-quantized model
    assert 0 < report.rate["bits_per_image"] < 32 * 32  # fewer bits than the latent's int32 symbols
    served = runner.predict(images)
    qat_accuracy = _accuracy(server, served, labels)
    print(f"\nfloat pipeline {float_accuracy:.4f}, QAT int8 sensor -> float server {qat_accuracy:.4f} "
          f"({np.mean(served == symbols):.4f} of the symbols identical)")
    assert qat_accuracy > 0.25 and abs(qat_accuracy - float_accuracy) <= 0.05


def test_tf_keras_twin_computes_the_encoder(trained, cifar):
    model, _ = trained
    _, _, (images, _) = cifar
    twin = tf_keras_twin(model.encoder)
    assert type(twin).__module__.startswith("tf_keras")
    assert {layer.name: layer.trainable for layer in twin.layers if layer.name in ("color", "dwt", "subband_scale")} \
        == {"color": False, "dwt": False, "subband_scale": False}
    np.testing.assert_allclose(twin.predict(images[:128], verbose=0),
                               model.encoder.predict(images[:128], verbose=0), atol=1e-4)


def test_cli_errors_are_one_line_and_leave_nothing_behind(trained, cifar, tmp_path, capsys):
    _, path = trained
    tfrecords = cifar[0]
    out = str(tmp_path / "out")
    command = ["export", "split-ae", "--model", path, "--out", out]
    assert "no such file" in one_line_error(capsys, ["export", "split-ae", "--model", str(tmp_path / "missing.keras"),
                                                     "--out", out])
    pixels = keras.Input((32, 32, 3))
    keras.Model(pixels, keras.layers.Dense(2)(keras.layers.Flatten()(pixels))).save(tmp_path / "plain.keras")
    assert "not a hierarchical model" in one_line_error(
        capsys, ["export", "split-ae", "--model", str(tmp_path / "plain.keras"), "--out", out])
    for options in ([], ["--mode", "int8"], ["--mode", "qat"], ["--scale", "1"]):
        assert one_line_error(capsys, command + options).startswith("error: --dataset: ")
    assert "must be above 0" in one_line_error(capsys, command + ["--scale", "0", "--dataset",
                                                                  f"tfrecord:{tfrecords}"])
    assert sorted(os.listdir(tmp_path)) == ["plain.keras"]
    os.mkdir(out)
    assert "exists" in one_line_error(capsys, command + ["--dataset", f"tfrecord:{tfrecords}"])
    assert os.listdir(out) == []


def test_cli_writes_the_folder_with_entropy_scaled_steps(trained, cifar, float_pipeline, tmp_path):
    model, path = trained
    tfrecords, (train_images, _), (images, _) = cifar
    codec, sensor, _, symbols = float_pipeline[:4]
    out = tmp_path / "split"
    out.mkdir()
    assert main(["export", "split-ae", "--model", path, "--out", str(out), "--scale", "2", "--force",
                 "--dataset", f"tfrecord:{tfrecords}", "--train-examples", "2000", "--report-images", "300"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["split"]  # no staging folder left
    report = json.loads((out / "sensor.tflite.report.json").read_text())
    assert report["parity"]["identical_fraction"] >= 0.999 and report["rate"]["images"] == 300
    assert json.loads((out / "server.report.json").read_text())["parity"]["max_abs_diff"] < 1e-4
    unit_steps = SplitCodec(codec.step_sizes).fit_symbols(sensor.predict(train_images[:2000], verbose=0))
    unit_steps_bits = unit_steps.coder.information_content(symbols[:300]) / 300
    assert report["rate"]["ideal_bits_per_image"] < unit_steps_bits  # steps q_i = 2 H(y_i) > 1: fewer bits

    steps = step_sizes_for(model, 2.0, model.encoder.predict(train_images[:2000], verbose=0))
    assert not np.allclose(steps, 1.0)
    served = LiteRTModel(out / "sensor.tflite").predict(images[:300])
    expected = np.round(model.encoder.predict(images[:300], verbose=0) / steps)
    assert np.mean(served == expected) >= 0.999  # the steps baked in are eq. (3.8)'s
    probabilities = LiteRTModel(out / "server.tflite").predict(served.astype(np.float32))
    np.testing.assert_allclose(probabilities, model.decoder.predict(served * steps, verbose=0), atol=1e-4)


def test_a_failing_server_export_leaves_no_half_written_folder(float_pipeline, tmp_path, monkeypatch):
    import export.split_autoencoder as split_module

    codec = float_pipeline.codec

    def failing_savedmodel(*args, **kwargs):
        raise RuntimeError("SavedModel reload check failed")

    monkeypatch.setattr(split_module, "export_savedmodel", failing_savedmodel)
    with pytest.raises(RuntimeError, match="reload check failed"):
        export_split(codec, tmp_path / "split")
    assert os.listdir(tmp_path) == []
    with pytest.raises(TaskAdaptError, match="not a split auto-encoder"):
        SplitCodec.of_model(keras.Sequential([keras.layers.Dense(2)]))
