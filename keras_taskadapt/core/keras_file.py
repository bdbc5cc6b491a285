"""Loading a ``.keras`` file written by any task, checked to be the kind of model expected.

The package's layers and models register themselves with Keras when their module is
imported; a ``.keras`` file names each object's module in its ``config.json``, so the
modules of ``keras_taskadapt`` that the file needs are imported before Keras reads it (no
loader needs to import a module for its side effects). A missing file, a file that is no
``.keras`` archive, an archive Keras cannot read (damaged weights, classes of another
version) and a model of another kind each end in one :class:`TaskAdaptError`.
"""

import importlib
import json
import os
import zipfile

from keras_taskadapt.core.errors import TaskAdaptError, error_summary

PACKAGE = "keras_taskadapt"


def modules_named(config):
    """Every ``keras_taskadapt`` module named by a ``"module"`` entry anywhere in ``config``."""
    if isinstance(config, list):
        return set().union(*map(modules_named, config))
    if not isinstance(config, dict):
        return set()
    found = set().union(*map(modules_named, config.values()))
    module = config.get("module")
    if isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + ".")):
        found.add(module)
    return found


def load_model(path, expected=None, what=None):
    """The model in the ``.keras`` file at ``path``.

    Args:
        expected: a class (or tuple of classes) the model must be an instance of.
        what: how the error names the expected kind, e.g. "a JCC model (written by train jcc)".
    """
    import keras

    if not os.path.isfile(path):
        raise TaskAdaptError(f"{path}: no such file", parameter="model")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise TaskAdaptError(f"{path}: not a .keras model file", parameter="model") from None
    try:
        for module in sorted(modules_named(config)):
            importlib.import_module(module)
    except ImportError as error:
        raise TaskAdaptError(f"{path}: written by another version of keras-taskadapt ({error_summary(error)})",
                             parameter="model") from None
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # Keras raises ValueError, TypeError, OSError, KeyError ... for unreadable files
        raise TaskAdaptError(f"{path}: Keras cannot load it ({error_summary(error)})", parameter="model") from None
    if expected is not None and not isinstance(model, expected):
        kind = what or (expected.__name__ if isinstance(expected, type) else "the expected kind")
        raise TaskAdaptError(f"{path}: a {type(model).__name__}, not {kind}", parameter="model")
    return model
