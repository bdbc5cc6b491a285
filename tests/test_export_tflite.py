"""TFLite export (float, dynamic-range, int8) run with LiteRT, the JCC sensor model and their CLI."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import shared_path

from export import LiteRTModel, export_tflite, jcc_sensor_model, representative_data
from keras_taskadapt.cli import main
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.keras_file import load_model, modules_named
from keras_taskadapt.data import load_dataset
from keras_taskadapt.jpeg import JointCompressionClassifier, JpegCodec
from keras_taskadapt.models import cifar_resnet

TRAIN_IMAGES, TEST_IMAGES = 2048, 512


def _real_slice(tfrecords, split, count):
    """The first ``count`` images and labels of a split of the real CIFAR-10 records."""
    batches = load_dataset(f"tfrecord:{tfrecords}", split, batch_size=256, shuffle=False).take(-(-count // 256))
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in batches), strict=True)
    return np.concatenate(images)[:count].astype(np.float32), np.concatenate(labels)[:count]


@pytest.fixture(scope="module")
def cifar_slices():
    """The glob of the real CIFAR-10 records, a training slice and a test slice."""
    tfrecords = str(shared_path("images", "cifar10-jpeg-q75") / "*.tfrecord")
    return tfrecords, _real_slice(tfrecords, "train", TRAIN_IMAGES), _real_slice(tfrecords, "test", TEST_IMAGES)


@pytest.fixture(scope="module")
def trained_resnet(cifar_slices):
    """A ResNet-8 trained briefly on a real CIFAR-10 slice (about 35-40 % test accuracy)."""
    _, (images, labels), _ = cifar_slices
    keras.utils.set_random_seed(0)
    model = cifar_resnet(10, (32, 32, 3), depth=8, weight_decay=0)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(images, labels, batch_size=64, epochs=3, verbose=0)
    return model


def _accuracy(probabilities, labels):
    return float(np.mean(np.argmax(probabilities, axis=-1) == labels))


def test_float_tflite_matches_keras(trained_resnet, cifar_slices, tmp_path):
    _, _, (images, _) = cifar_slices
    path = tmp_path / "resnet8.tflite"
    report = export_tflite(trained_resnet, str(path), mode="float", batch=images[:32])
    assert report.parity["max_abs_diff"] < 1e-4 and "identical_fraction" not in report.parity
    written = json.loads((tmp_path / "resnet8.tflite.report.json").read_text())
    assert written["size_bytes"] == path.stat().st_size > 4 * trained_resnet.count_params()
    assert written["kind"] == "tflite-float" and written["latency_ms_per_input"] > 0
    served = LiteRTModel(path).predict(images[:200])
    assert np.max(np.abs(served - trained_resnet.predict(images[:200], verbose=0))) < 1e-4


@pytest.mark.parametrize("mode", ["dynamic", "int8"])
def test_quantized_tflite_keeps_the_accuracy(trained_resnet, cifar_slices, tmp_path, mode):
    """Sizes of this ResNet-8 (78,714 parameters): float 319,284 bytes, dynamic about 95,600, int8 about 96,700."""
    tfrecords, _, (images, labels) = cifar_slices
    train = load_dataset(f"tfrecord:{tfrecords}", "train", batch_size=32, shuffle=True, seed=1)
    float_accuracy = _accuracy(trained_resnet.predict(images, verbose=0), labels)
    assert float_accuracy > 0.25  # trained: well above chance
    path = tmp_path / f"resnet8-{mode}.tflite"
    report = export_tflite(trained_resnet, str(path), mode=mode, representative=representative_data(train, 4),
                           batch=images[:32])
    model = LiteRTModel(path)
    if mode == "int8":
        details = model.input_details["pixels"]
        assert details["dtype"] == np.int8 and model.output_details["output_0"]["dtype"] == np.int8
    assert report.size_bytes < 0.35 * 4 * trained_resnet.count_params()
    assert abs(_accuracy(model.predict(images), labels) - float_accuracy) <= 0.03


def _jcc_model():
    """A JCC model whose colour coefficients and tables are off the standard ones, as after training."""
    rng = np.random.default_rng(3)
    codec = JpegCodec(initial_tables=None, scale=10.0, learn_color=True, name="jpeg")
    codec.quantization.kernels.assign(rng.uniform(0.3, 4.0, (3, 8, 8)).astype(np.float32))
    for logits in codec.color.weights:
        logits.assign(logits.numpy() + rng.normal(0.0, 0.1, logits.shape).astype(np.float32))
    model = JointCompressionClassifier(codec, cifar_resnet(10, (32, 32, 3), depth=8), name="jcc")
    model(np.zeros((1, 32, 32, 3), np.float32))
    return model


def test_jcc_sensor_tflite_reproduces_the_coefficients_on_real_images(cifar_slices, tmp_path):
    tfrecords, _, (images, _) = cifar_slices
    jcc = _jcc_model()
    jcc.save(tmp_path / "jcc.keras")
    out = tmp_path / "sensor.tflite"
    assert main(["export", "jcc-sensor", "--model", str(tmp_path / "jcc.keras"), "--out", str(out),
                 "--dataset", f"tfrecord:{tfrecords}", "--batch-size", "64"]) == 0
    report = json.loads((tmp_path / "sensor.tflite.report.json").read_text())
    assert report["kind"] == "tflite-jcc-sensor" and report["parity"]["identical_fraction"] >= 0.999

    sensor = jcc_sensor_model(jcc)
    expected = sensor.predict(images, verbose=0)
    learned = jcc.codec.encode(images)  # the sensor is the trained model's own encoder
    assert all(np.array_equal(expected[name], np.asarray(learned[name])) for name in ("y", "cb", "cr"))
    served = LiteRTModel(out).predict(images)
    assert {name: served[name].shape for name in served} == {"y": (TEST_IMAGES, 4, 4, 64),
                                                             "cb": (TEST_IMAGES, 2, 2, 64),
                                                             "cr": (TEST_IMAGES, 2, 2, 64)}
    assert all(served[name].dtype == np.int32 for name in served)
    identical = sum(int(np.sum(served[name] == expected[name])) for name in served)
    assert identical / sum(values.size for values in expected.values()) >= 0.999
    assert np.count_nonzero(expected["y"]) > 0.1 * expected["y"].size  # not a trivially zero output


def test_a_keras_file_loads_with_the_modules_it_names(tmp_path):
    _jcc_model().save(tmp_path / "jcc.keras")
    with zipfile.ZipFile(tmp_path / "jcc.keras") as archive:
        modules = modules_named(json.loads(archive.read("config.json")))
    assert {"keras_taskadapt.jpeg.joint_model", "keras_taskadapt.jpeg.codec"} <= modules
    assert all(module.startswith("keras_taskadapt.") for module in modules)
    assert isinstance(load_model(str(tmp_path / "jcc.keras")), JointCompressionClassifier)
    (tmp_path / "text.keras").write_text("not a zip file")
    with pytest.raises(TaskAdaptError, match="not a .keras model file"):
        load_model(str(tmp_path / "text.keras"))


def _tiny_model():
    pixels = keras.Input((8, 8, 3), name="pixels")
    return keras.Model(pixels, keras.layers.Dense(4, activation="softmax")(keras.layers.Flatten()(pixels)))


def test_cli_refuses_to_overwrite_without_force(tmp_path):
    keras.utils.set_random_seed(0)
    _tiny_model().save(tmp_path / "tiny.keras")
    out = tmp_path / "tiny.tflite"
    command = ["export", "tflite", "--model", str(tmp_path / "tiny.keras"), "--out", str(out)]
    assert main(command) == 0
    written = out.read_bytes()
    assert main(command + ["--mode", "dynamic"]) == 2
    assert out.read_bytes() == written
    assert main(command[:-1] + [str(tmp_path / "int8.tflite"), "--mode", "int8"]) == 2  # no representative data
    assert main(["export", "tflite", "--model", str(tmp_path / "missing.keras"), "--out", str(out)]) == 2
    assert main(command + ["--force"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["tiny.keras", "tiny.tflite", "tiny.tflite.report.json"]


def test_a_half_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    def failing_check(self, batch):
        raise RuntimeError("LiteRT check failed")

    monkeypatch.setattr(LiteRTModel, "run", failing_check)
    with pytest.raises(RuntimeError, match="LiteRT check failed"):
        export_tflite(_tiny_model(), str(tmp_path / "tiny.tflite"))
    assert os.listdir(tmp_path) == []


def test_ops_outside_the_builtins_fail_in_one_line(tmp_path):
    values = keras.Input((4,), name="values")
    model = keras.Model(values, keras.ops.erfinv(values))
    with pytest.raises(TaskAdaptError, match=r"cannot run tf\.Erfinv") as error:
        export_tflite(model, str(tmp_path / "erfinv.tflite"), batch=np.zeros((2, 4), np.float32))
    assert "\n" not in str(error.value) and os.listdir(tmp_path) == []


def _two_headed_model():
    """Two inputs, two named outputs: the runner's dict handling."""
    image, scalar = keras.Input((6, 6, 2), name="image"), keras.Input((3,), name="extra")
    features = keras.layers.Concatenate()([keras.layers.Flatten()(image), scalar])
    return keras.Model({"image": image, "extra": scalar},
                       {"logits": keras.layers.Dense(5, name="logits")(features),
                        "code": keras.layers.Dense(2, name="code")(features)})


def test_litert_runner_resizes_for_each_batch_and_keeps_outputs_apart(tmp_path):
    keras.utils.set_random_seed(0)
    model = _two_headed_model()
    rng = np.random.default_rng(0)
    batch = {"image": rng.normal(size=(7, 6, 6, 2)).astype(np.float32),
             "extra": rng.normal(size=(7, 3)).astype(np.float32)}
    export_tflite(model, str(tmp_path / "two.tflite"), batch=batch)
    runner = LiteRTModel(tmp_path / "two.tflite")
    assert sorted(runner.input_names) == ["extra", "image"] and sorted(runner.output_names) == ["code", "logits"]
    expected = model.predict(batch, verbose=0)
    results = [runner.predict({name: values[start:stop] for name, values in batch.items()})
               for start, stop in ((0, 7), (0, 1), (1, 4), (4, 7))]  # batch sizes 7, 1, 3, 3
    whole, parts = results[0], results[1:]
    for name in ("logits", "code"):
        assert whole[name].shape == expected[name].shape
        np.testing.assert_allclose(whole[name], expected[name], atol=1e-5)
        np.testing.assert_allclose(np.concatenate([part[name] for part in parts]), whole[name], atol=1e-6)
    with pytest.raises(ValueError, match="pass a dict"):
        runner.predict(batch["image"])


def test_litert_runner_quantizes_int8_inputs_and_dequantizes_outputs(tmp_path):
    keras.utils.set_random_seed(0)
    model = _tiny_model()
    pixels = np.random.default_rng(1).integers(0, 256, (64, 8, 8, 3)).astype(np.float32)
    calibration = tf.data.Dataset.from_tensor_slices(pixels).batch(16)
    export_tflite(model, str(tmp_path / "tiny.tflite"), mode="int8", batch=pixels[:8],
                  representative=representative_data(calibration, 4))
    runner = LiteRTModel(tmp_path / "tiny.tflite")
    scale, zero_point = runner.input_details["pixels"]["quantization"]
    assert runner.input_details["pixels"]["dtype"] == np.int8
    assert scale == pytest.approx(1.0, abs=0.01) and zero_point == pytest.approx(-128, abs=1)  # 0..255 -> int8
    served = runner.predict(pixels)
    assert served.dtype == np.float32 and served.shape == (64, 4)
    np.testing.assert_allclose(served, model.predict(pixels, verbose=0), atol=0.02)
