"""Sensor and server models of the split auto-encoder (seed 000 section 3.3.1, figure 3.3).

The split of figure 3.3, deployed (issue 6, "Split"):

* the **sensor** (:func:`sensor_model`): RGB pixels 0..255 -> the encoder's latent ``y`` ->
  the integer symbols ``round(y / q)`` it transmits (int32), the quantizer's steps ``q`` baked
  in as constants: the trained quantizer's, or the entropy-scaled ``q_i = s H(y_i)`` of
  eq. (3.8) for a scale ``s`` (:func:`step_sizes_for`, ``H`` from training latents);
* the **server** (:func:`server_model`): received symbols (float32 holding integers) ->
  ``q * symbols`` -> the decoder -> class probabilities.

:func:`export_sensor` converts the sensor to TFLite (``float``, ``dynamic``, ``int8`` with a
representative data set; a QAT sensor from :mod:`export.qat` is converted as ``int8``), runs it
with LiteRT and reports size, single-input latency on one thread, parity
(``identical_fraction`` of the integer symbols against the Keras sensor) and the ``rate``:
the bits per image actually sent, the artifact's symbols of the report batch range-coded
with a :class:`~keras_taskadapt.latent.LatentEntropyCoder` (section 3.4.1) and decoded back
bit-exactly. The coder's per-entry models are fitted on the float Keras sensor's symbols of
training images (:func:`fit_coder`): the server has one coder, the one for the latent its
decoder was trained on, so a quantized sensor that shifts symbols pays for it in bits.

:func:`export_split` writes the whole deployment as one folder, staged and renamed:
``sensor.tflite``, ``server`` (SavedModel, ``serve`` signature) and ``server.tflite`` (float),
each with its ``.report.json``, and ``entropy_coder.npz`` when a coder is given.
"""

import os
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from export.artifact import ArtifactReport, staged_artifact
from export.litert_runner import LiteRTModel
from export.savedmodel import export_savedmodel, sample_batch
from export.tflite import export_tflite
from keras_taskadapt.errors import UserError
from keras_taskadapt.run_directory import write_json

#: Sensor conversions: the TFLite modes, and ``qat`` (a QAT sensor converted as int8).
SENSOR_MODES = ("float", "dynamic", "int8", "qat")


@dataclass
class SensorReport(ArtifactReport):
    """An :class:`ArtifactReport` with the ``rate`` of the symbols the sensor sends."""

    rate: dict = field(default_factory=dict)


def split_parts(model):
    """``(encoder, decoder, quantizer)`` of a trained split auto-encoder, checked."""
    parts = tuple(getattr(model, name, None) for name in ("encoder", "decoder", "quantizer"))
    if any(part is None for part in parts):
        raise UserError(f"model {getattr(model, 'name', model)!r} is not a split auto-encoder "
                        f"(it needs an encoder, a latent quantizer and a decoder)")
    return parts


def step_sizes_for(model, scale=None, train_latents=None):
    """The steps ``q`` the sensor bakes in: the model's quantizer's, or with ``scale`` the
    entropy-scaled ``q_i = s H(y_i)`` of eq. (3.8), ``H`` from ``train_latents`` (N, dy)."""
    from keras_taskadapt.latent import entropy_scaled_steps, entry_entropies

    _, _, quantizer = split_parts(model)
    if scale is None:
        return np.asarray(quantizer.step_sizes, np.float32)
    if train_latents is None:
        raise UserError("entropy-scaled steps (--scale) need training latents (--dataset)")
    return entropy_scaled_steps(entry_entropies(train_latents), scale).astype(np.float32)


def sensor_model(encoder, step_sizes, name="sensor"):
    """Pixels -> int32 symbols ``round(encoder(x) / q)`` (eq. (3.8)), a Keras functional model."""
    import keras

    from keras_taskadapt.latent import quantize_latent

    pixels = keras.Input(tuple(encoder.input.shape[1:]), name="pixels")
    steps = np.asarray(step_sizes, np.float32)
    return keras.Model(pixels, keras.ops.cast(quantize_latent(encoder(pixels), steps), "int32"), name=name)


def server_model(decoder, step_sizes, name="server"):
    """Symbols (float32 integers) -> ``decoder(q * symbols)``, the class probabilities."""
    import keras

    symbols = keras.Input(tuple(decoder.input.shape[1:]), name="symbols")
    return keras.Model(symbols, decoder(symbols * np.asarray(step_sizes, np.float32)), name=name)


def split_models(model, step_sizes=None):
    """``(sensor, server)`` of a trained split auto-encoder at steps ``q`` (default: its quantizer's)."""
    encoder, decoder, _ = split_parts(model)
    steps = step_sizes_for(model) if step_sizes is None else step_sizes
    return sensor_model(encoder, steps), server_model(decoder, steps)


def fit_coder(sensor, train_images, entropy_model="histogram"):
    """The range coder of the symbols ``sensor`` sends, its models fitted on ``train_images``."""
    from keras_taskadapt.latent import LatentEntropyCoder

    return LatentEntropyCoder.fit(sensor.predict(train_images, batch_size=256, verbose=0), entropy_model)


def coded_rate(coder, symbols, image_pixels):
    """Bits per image of ``symbols`` (N, dy) range-coded by ``coder``, checked by decoding them back."""
    from keras_taskadapt.latent import BitExactnessError, bits_of_stream

    words = coder.encode(symbols)
    if not np.array_equal(coder.decode(words, len(symbols)), symbols):
        raise BitExactnessError("the decoded latent symbols differ from the encoded ones")
    bits = bits_of_stream(words) / len(symbols)
    return {"bits_per_image": bits, "ideal_bits_per_image": coder.information_content(symbols) / len(symbols),
            "bpp": bits / image_pixels, "images": len(symbols)}


def export_sensor(sensor, path, *, mode="float", representative=None, batch=None, coder=None, force=False):
    """The sensor as ``.tflite`` at ``path`` (``mode`` of :data:`SENSOR_MODES`), checked with
    LiteRT on ``batch`` (default: random pixels) and reported (module docstring); the ``rate``
    is measured when a ``coder`` and a ``batch`` of real images are given."""
    if mode not in SENSOR_MODES:
        raise UserError(f"sensor mode must be one of {', '.join(SENSOR_MODES)}, got {mode!r}")
    conversion = "int8" if mode == "qat" else mode
    with staged_artifact(path, force=force) as temporary:
        report = export_tflite(sensor, temporary, mode=conversion, representative=representative, batch=batch,
                               kind=f"split-sensor-{mode}")
        rate = {}
        if coder is not None and batch is not None:
            symbols = LiteRTModel(temporary).predict(batch)
            height, width = sensor.input.shape[1:3]
            rate = coded_rate(coder, symbols, height * width)
    report = SensorReport(**{**asdict(report), "artifact": path}, rate=rate)
    report.write()
    return report


def export_split(sensor, server, folder, *, mode="float", representative=None, batch=None, coder=None,
                 force=False):
    """The deployment folder (module docstring), staged as a whole; ``{file name: report}``.

    ``batch``: real images for the sensor's parity and rate; the server's parity is measured on
    the Keras sensor's symbols of the same images. Without it both parities are measured on
    random pixels and no rate is reported.
    """
    real = batch is not None
    batch = np.asarray(batch, np.float32) if real else sample_batch(sensor)
    symbols = sensor.predict(batch, verbose=0).astype(np.float32)
    final = os.path.abspath(folder)
    with staged_artifact(final, force=force) as staging:
        os.makedirs(staging)
        reports = {
            "sensor.tflite": export_sensor(sensor, os.path.join(staging, "sensor.tflite"), mode=mode,
                                           representative=representative, batch=batch,
                                           coder=coder if real else None),
            "server": export_savedmodel(server, os.path.join(staging, "server"), batch=symbols),
            "server.tflite": export_tflite(server, os.path.join(staging, "server.tflite"), batch=symbols,
                                           kind="split-server-float"),
        }
        for name, report in list(reports.items()):  # the reports name where the artifacts end up
            reports[name] = replace(report, artifact=os.path.join(final, name))
            write_json(os.path.join(staging, f"{name}.report.json"), asdict(reports[name]))
        if coder is not None:
            coder.save(os.path.join(staging, "entropy_coder.npz"))
    return reports
