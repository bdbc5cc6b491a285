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
- :func:`load_keras_model`: a ``.keras`` file with the package modules it names imported.
"""

from export.artifact import ArtifactReport, staged_artifact
from export.jcc_sensor import export_jcc_sensor, jcc_sensor_model
from export.keras_file import load_keras_model
from export.litert_runner import LiteRTModel
from export.savedmodel import export_savedmodel
from export.tflite import MODES, convert_to_tflite, export_tflite, representative_data

__all__ = [
    "MODES",
    "ArtifactReport",
    "LiteRTModel",
    "convert_to_tflite",
    "export_jcc_sensor",
    "export_savedmodel",
    "export_tflite",
    "jcc_sensor_model",
    "load_keras_model",
    "representative_data",
    "staged_artifact",
]
