"""Deployable artifacts with a report beside each.

Every export writes to a temporary path, loads the artifact back and runs one batch, and
only then renames it into place; it refuses to overwrite an existing artifact unless asked
(``force=True``, ``--force``). The report JSON beside it gives its size in bytes, latency per
input on this CPU and the parity against the Keras model.
"""

from export.artifact import ArtifactReport, staged_artifact
from export.savedmodel import export_savedmodel

__all__ = ["ArtifactReport", "export_savedmodel", "staged_artifact"]
