"""Sensor and server of the split auto-encoder, exported (seed 000 section 3.3.1, figure 3.3).

The split of figure 3.3, deployed from a fitted :class:`~keras_taskadapt.hierarchical.latent.SplitCodec`:

* the **sensor** (:meth:`SplitCodec.sensor_model`): RGB pixels 0..255 -> the encoder's latent
  ``y`` -> the integer symbols ``round(y / q)`` it transmits (int32), the steps ``q`` baked in as
  constants: the trained quantizer's, or the entropy-scaled ``q_i = s H(y_i)`` of eq. (3.8);
* the **server** (:meth:`SplitCodec.server_model`): received symbols (float32 holding
  integers) -> ``q * symbols`` -> the decoder -> class probabilities;
* between them, one range-coded stream per image (:mod:`keras_taskadapt.hierarchical.latent.bitstream`),
  decoded on the server with ``entropy_coder.npz`` (:func:`~keras_taskadapt.hierarchical.latent.decode_streams`).

:func:`export_sensor` converts the sensor to TFLite (``float``, ``dynamic``, ``int8`` with a
representative data set; a QAT sensor from :mod:`export.qat` is converted as ``int8``), runs it
with LiteRT and reports size, single-input latency on one thread, parity
(``identical_fraction`` of the integer symbols against the Keras sensor) and the ``rate``:
the artifact's symbols of the report images coded as per-image streams and decoded back
bit-exactly (:meth:`SplitCodec.stream_rate`). The coder's models are fitted on the float Keras
sensor's symbols of training images: the server has one coder, the one for the latent its
decoder was trained on, so a quantized sensor that shifts symbols pays for it in bits.

:func:`export_split` writes the whole deployment as one folder, staged and moved into place:
``sensor.tflite``, ``server`` (SavedModel, ``serve`` signature) and ``server.tflite`` (float),
each with its ``.report.json`` (with the input/output ``contract``), ``entropy_coder.npz``
(the steps and the coder's models) and ``stream_writer.py``
(:mod:`keras_taskadapt.hierarchical.latent.stream_writer`: the stream written with NumPy alone,
for a device that runs ``sensor.tflite`` without TensorFlow).
"""

import os
import shutil
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from export.artifact import ArtifactReport, staged_artifact
from export.litert_runner import LiteRTModel
from export.savedmodel import export_savedmodel, sample_batch
from export.tflite import MODES, export_tflite
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import write_json
from keras_taskadapt.core.registry import Registry
from keras_taskadapt.hierarchical.latent import stream_writer

#: Sensor modes: every TFLite conversion as it is, and ``qat`` (:mod:`export.qat`: a QAT
#: sensor converted as int8), each the conversion it uses.
SENSOR_MODES = Registry("sensor mode", parameter="mode")
for _mode in MODES:
    SENSOR_MODES.register(_mode, help=MODES.help(_mode))(_mode)


@dataclass
class SensorReport(ArtifactReport):
    """An :class:`ArtifactReport` with the ``rate`` of the symbols the sensor sends."""

    rate: dict = field(default_factory=dict)


def step_sizes_for(model, scale=None, train_latents=None):
    """The steps ``q`` the sensor bakes in: the model's quantizer's, or with ``scale`` the
    entropy-scaled ``q_i = s H(y_i)`` of eq. (3.8), ``H`` from ``train_latents`` (N, dy)."""
    from keras_taskadapt.hierarchical.latent import SplitCodec, entropy_scaled_steps, entry_entropies

    codec = SplitCodec.of_model(model)
    if scale is None:
        return codec.step_sizes
    if train_latents is None:
        raise TaskAdaptError("entropy-scaled steps need training latents (a data set)", parameter="scale")
    return entropy_scaled_steps(entry_entropies(train_latents), scale).astype(np.float32)


def deployed_codec(model, scale=None, train_images=None, entropy_model="histogram"):
    """The :class:`~keras_taskadapt.hierarchical.latent.SplitCodec` of a trained split model at its
    quantizer's steps (or the entropy-scaled ones of ``scale``), its coder fitted on the Keras
    sensor's symbols of ``train_images`` when they are given."""
    from keras_taskadapt.hierarchical.latent import SplitCodec

    latents = None
    if scale is not None and train_images is not None:  # H(y_i) of the entropy-scaled steps
        latents = model.encoder.predict(train_images, batch_size=256, verbose=0)
    codec = SplitCodec.of_model(model, step_sizes_for(model, scale, latents))
    if train_images is not None:
        codec.fit_symbols(codec.sensor_model().predict(train_images, batch_size=256, verbose=0), entropy_model)
    return codec


def export_sensor(sensor, path, *, mode="float", representative=None, batch=None, codec=None, force=False):
    """The sensor as ``.tflite`` at ``path`` (``mode`` of :data:`SENSOR_MODES`), checked with
    LiteRT on ``batch`` (default: random pixels) and reported (module docstring); the ``rate``
    is measured when a fitted ``codec`` and a ``batch`` of real images are given."""
    conversion = SENSOR_MODES[mode]
    with staged_artifact(path, force=force) as temporary:
        report = export_tflite(sensor, temporary, mode=conversion, representative=representative, batch=batch,
                               kind=f"split-sensor-{mode}")
        rate = {}
        if codec is not None and codec.coder is not None and batch is not None:
            symbols = LiteRTModel(temporary).predict(batch)
            height, width = sensor.input.shape[1:3]
            rate, _ = codec.stream_rate(symbols, height * width)
    report = SensorReport(**{**asdict(report), "artifact": path}, rate=rate)
    report.write()
    return report


def split_contracts(codec, sensor):
    """The value conventions of each artifact of the deployment folder, for its report."""
    from keras_taskadapt.hierarchical.latent import FORMAT_VERSION

    height, width = sensor.input.shape[1:3]
    symbols = (f"int32 latent symbols round(y / q), {codec.latent_dim} per image, q = the steps in "
               "entropy_coder.npz")
    stream = {"format_version": FORMAT_VERSION,
              "layout": "one stream per image: 1 byte format version, then the range-coded 32-bit words in "
                        "little-endian byte order with trailing zero bytes dropped (the transport frames it)",
              "models": "entropy_coder.npz (per-entry models and the steps q)",
              "server_decoder": "keras_taskadapt.hierarchical.latent.decode_streams(streams, 'entropy_coder.npz')"}
    server = {"input": f"symbols: float32 ({codec.latent_dim},) per image, the decoded stream as it is (the "
                       "server multiplies by q itself)",
              "output": "class probabilities (softmax), one row per image"}
    return {
        "sensor.tflite": {"input": f"pixels: RGB images {height}x{width}, values 0..255; a float32 input takes them "
                                   "as they are, an int8 input quantized as signature_inputs says "
                                   "(value = pixel / scale + zero_point)",
                          "output": symbols, "stream": stream},
        "server": {**server, "signature": "serve"},
        "server.tflite": server,
    }


def export_split(codec, folder, *, sensor=None, mode="float", representative=None, batch=None, force=False):
    """The deployment folder of a fitted ``codec`` (module docstring), staged as a whole;
    ``{file name: report}``.

    ``sensor``: the Keras sensor to convert (default ``codec.sensor_model()``; a QAT sensor for
    ``mode="qat"``). ``batch``: real images for the sensor's parity and rate; the server's parity
    is measured on the Keras sensor's symbols of the same images. Without it both parities are
    measured on random pixels and no rate is reported.
    """
    if codec.coder is None:
        raise TaskAdaptError("the deployment needs the range coder's models; fit the codec on training images "
                             "(a data set)", parameter="dataset")
    sensor = sensor or codec.sensor_model()
    server = codec.server_model()
    real = batch is not None
    batch = np.asarray(batch, np.float32) if real else sample_batch(sensor)
    symbols = sensor.predict(batch, verbose=0).astype(np.float32)
    final = os.path.abspath(folder)
    with staged_artifact(final, force=force) as staging:
        os.makedirs(staging)
        reports = {
            "sensor.tflite": export_sensor(sensor, os.path.join(staging, "sensor.tflite"), mode=mode,
                                           representative=representative, batch=batch,
                                           codec=codec if real else None),
            "server": export_savedmodel(server, os.path.join(staging, "server"), batch=symbols),
            "server.tflite": export_tflite(server, os.path.join(staging, "server.tflite"), batch=symbols,
                                           kind="split-server-float"),
        }
        contracts = split_contracts(codec, sensor)
        for name, report in list(reports.items()):  # the reports name where the artifacts end up
            reports[name] = replace(report, artifact=os.path.join(final, name),
                                    contract={**report.contract, **contracts[name]})
            write_json(os.path.join(staging, f"{name}.report.json"), asdict(reports[name]))
        codec.save(os.path.join(staging, "entropy_coder.npz"))
        shutil.copyfile(stream_writer.__file__, os.path.join(staging, "stream_writer.py"))
    return reports
