"""Deployable artifacts with a report beside each.

Every export writes to a temporary path, loads the artifact back and runs one batch, and
only then renames it into place; it refuses to overwrite an existing artifact unless asked
(``force=True``, ``--force``). The report JSON beside it gives its size in bytes, latency per
input on this CPU and the parity against the Keras model.

- :func:`export_savedmodel`: SavedModel with a ``serve`` signature.
- :func:`export_tflite`: TFLite float32, dynamic-range or full-integer int8 (builtin ops only),
  run with :class:`LiteRTModel` (LiteRT).
- :func:`jcc_sensor_model`, :func:`export_jcc_sensor`: a JCC model's encoder as a sensor model,
  images -> quantized DCT coefficients.
- :func:`export_qtables`: learned JPEG tables for cjpeg, Pillow and libjpeg.
- :func:`deployed_codec`, :func:`export_sensor`, :func:`export_split`: a split auto-encoder's
  sensor (images -> integer latent symbols) and server (symbols -> class probabilities),
  with the bits per image sent; :func:`quantization_aware_sensor`: its QAT sensor
  (tensorflow-model-optimization on a ``tf_keras`` twin).
"""

from export.artifact import ArtifactReport, staged_artifact
from export.jcc_sensor import export_jcc_sensor, jcc_sensor_model
from export.litert_runner import LiteRTModel
from export.qat import quantization_aware_sensor, tf_keras_twin
from export.qtables import export_qtables
from export.savedmodel import export_savedmodel
from export.split_autoencoder import (
    SENSOR_MODES,
    SensorReport,
    deployed_codec,
    export_sensor,
    export_split,
    step_sizes_for,
)
from export.tflite import MODES, convert_to_tflite, export_tflite, representative_data

__all__ = [
    "MODES",
    "SENSOR_MODES",
    "ArtifactReport",
    "LiteRTModel",
    "SensorReport",
    "convert_to_tflite",
    "deployed_codec",
    "export_jcc_sensor",
    "export_qtables",
    "export_savedmodel",
    "export_sensor",
    "export_split",
    "export_tflite",
    "jcc_sensor_model",
    "quantization_aware_sensor",
    "representative_data",
    "staged_artifact",
    "step_sizes_for",
    "tf_keras_twin",
]
