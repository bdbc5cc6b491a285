"""TFLite model size and single-image latency on one core: float32, dynamic-range, int8 and QAT.

Issue 6, "Measure": the JCC sensor model (images -> quantized DCT coefficients, the learned
tables of ``--jcc-model``, else standard quality-50 tables) and a CIFAR ResNet-20
(``--resnet-model``, else freshly initialised), each converted in the three modes, int8
calibrated on real CIFAR-10 training batches; and the sensor of the split auto-encoder (seed
000 figure 3.3: images -> integer latent symbols; ``--split-model`` written by ``train
hierarchical``, else one trained here for ``--split-epochs`` on ``--train-images`` images)
as float, int8 and QAT (``--qat-steps`` of distillation, :mod:`export.qat`), with the bits
per image it sends (its symbols of ``--rate-images`` test images range-coded with models
fitted on the float sensor's symbols of the training images) and the accuracy of the float
server on them. Every ``.tflite`` runs with LiteRT
on one thread; the latency is one 32x32 image per call, the median of ``--repeats`` calls, the best
of ``--rounds`` rounds that visit all artifacts in turn, so the int8 / float ratio comes from
the same run. Both wall time and process CPU time are given: on a machine shared with other
jobs the CPU time is the steadier figure. Parity is against the Keras model on 64 real
test images: the share of identical coefficients for the sensor, the largest absolute
difference of the class probabilities for the ResNet; the split sensors' parity (symbols
identical to their Keras model's: the float sensor for float and int8, the fake-quantized
model for QAT), bits and accuracy are measured on the ``--rate-images`` test images.

    python benchmarks/bench_tflite.py [--jcc-model M.keras] [--resnet-model R.keras]
        [--split-model S.keras] [--repeats 200]
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from export import (  # noqa: E402
    MODES,
    LiteRTModel,
    deployed_codec,
    export_sensor,
    export_tflite,
    jcc_sensor_model,
    quantization_aware_sensor,
    representative_data,
)
from export.artifact import seconds_per_call  # noqa: E402
from keras_taskadapt.core.keras_file import load_model  # noqa: E402
from keras_taskadapt.data import open_image_data  # noqa: E402
from keras_taskadapt.hierarchical.model_setup import load_hierarchical  # noqa: E402
from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder  # noqa: E402
from keras_taskadapt.hierarchical.training import EndToEnd  # noqa: E402
from keras_taskadapt.jpeg import JointCompressionClassifier, JpegCodec  # noqa: E402
from keras_taskadapt.models import cifar_resnet  # noqa: E402

DEFAULT_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "cifar10-jpeg-q75"


def jcc_model(path):
    """The JCC model at ``path``, or a ResNet-20 behind a codec with standard quality-50 tables."""
    if path:
        return load_model(path)
    return JointCompressionClassifier(JpegCodec(initial_tables=50), cifar_resnet(10, (32, 32, 3), depth=20))


def benchmark_models(args):
    """``{name: Keras model}``: the JCC sensor and the ResNet-20."""
    resnet = load_model(args.resnet_model) if args.resnet_model else cifar_resnet(10, (32, 32, 3), depth=20)
    return {"jcc-sensor": jcc_sensor_model(jcc_model(args.jcc_model)), "resnet20": resnet}


def split_model(args, images, labels):
    """The split auto-encoder at ``--split-model``, or a width-0.25 one (dy = 64) trained E2E here."""
    if args.split_model:
        return load_hierarchical(args.split_model)
    keras.utils.set_random_seed(0)
    model = EndToEnd(*split_autoencoder(10, images.shape[1:], width=0.25, latent_dim=64, seed=0), name="e2e")
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(images, labels, batch_size=128, epochs=args.split_epochs, verbose=0)
    return model


def split_sensors(args, data):
    """``({mode: Keras sensor}, server, codec)`` of the split auto-encoder (float, int8, QAT)."""
    images, labels = data.first_examples("train", args.train_images)
    model = split_model(args, images, labels)
    codec = deployed_codec(model, train_images=images)
    sensor = codec.sensor_model()
    qat = quantization_aware_sensor(model.encoder, images[:4096], codec.step_sizes, steps=args.qat_steps)
    return {"float": sensor, "int8": sensor, "qat": qat}, codec.server_model(), codec


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cifar", default=str(DEFAULT_CIFAR), help="folder of the CIFAR-10 TFRecords")
    parser.add_argument("--jcc-model", default=None, help="a .keras JCC model (default: standard q50 tables)")
    parser.add_argument("--resnet-model", default=None, help="a .keras ResNet-20 (default: freshly initialised)")
    parser.add_argument("--split-model", default=None,
                        help="a .keras model written by train hierarchical (default: one trained here)")
    parser.add_argument("--split-epochs", type=int, default=3, help="epochs of the split model trained here")
    parser.add_argument("--train-images", type=int, default=10000,
                        help="training images: the coder's models, QAT and the split model trained here")
    parser.add_argument("--qat-steps", type=int, default=300, help="QAT fine-tuning steps of the split sensor")
    parser.add_argument("--rate-images", type=int, default=10000,
                        help="test images of the split sensors' parity, bits per image and accuracy")
    parser.add_argument("--calibration-batches", type=int, default=8, help="int8 calibration batches of 32")
    parser.add_argument("--repeats", type=int, default=200, help="timed single-image calls per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all artifacts; the best median counts")
    args = parser.parse_args()

    data = open_image_data(f"tfrecord:{args.cifar}/*.tfrecord", batch_size=32, seed=0)
    batch, _ = data.first_examples("test", 64)
    representative = representative_data(data.train, args.calibration_batches)
    reports, runners = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for name, model in benchmark_models(args).items():
            for mode in MODES:
                path = os.path.join(folder, f"{name}-{mode}.tflite")
                reports[name, mode] = export_tflite(model, path, mode=mode, batch=batch, representative=representative)
                runners[name, mode] = LiteRTModel(path, num_threads=1)
        sensors, server, codec = split_sensors(args, data)
        rate_batch, rate_labels = data.first_examples("test", args.rate_images)
        accuracy = {}
        for mode, sensor in sensors.items():
            path = os.path.join(folder, f"split-sensor-{mode}.tflite")
            reports["split-ae", mode] = export_sensor(sensor, path, mode=mode, representative=representative,
                                                      batch=rate_batch, codec=codec)
            runners["split-ae", mode] = LiteRTModel(path, num_threads=1)
            symbols = runners["split-ae", mode].predict(rate_batch).astype(np.float32)
            predicted = np.argmax(server.predict(symbols, batch_size=1000, verbose=0), axis=-1)
            accuracy["split-ae", mode] = float(np.mean(predicted == rate_labels))
        clocks = {"wall": time.perf_counter, "cpu": time.process_time}
        latency = {(key, clock): float("inf") for key in runners for clock in clocks}
        single = batch[:1]
        for _ in range(args.rounds):
            for key, runner in runners.items():
                for clock, read in clocks.items():
                    seconds = seconds_per_call(lambda run=runner.run: run(single), args.repeats, clock=read)
                    latency[key, clock] = min(latency[key, clock], seconds)

    print(f"{'model':<11} {'mode':<8} {'KB':>8} {'wall ms':>8} {'x float':>8} {'CPU ms':>8} {'x float':>8} "
          f"{'bits/img':>8} {'accuracy':>8}  parity")
    for (name, mode), report in reports.items():
        figures = "".join(f" {1000 * latency[(name, mode), clock]:8.3f} "
                          f"{latency[(name, mode), clock] / latency[(name, 'float'), clock]:8.2f}" for clock in clocks)
        bits = getattr(report, "rate", {}).get("bits_per_image")
        split = "" if bits is None else f"{bits:8.1f} {accuracy[name, mode]:8.4f}"
        parity = ", ".join(f"{key} {value:.4g}" for key, value in report.parity.items())
        print(f"{name:<11} {mode:<8} {report.size_bytes / 1024:8.1f}{figures} {split:>17}  {parity}")

if __name__ == "__main__":
    main()
