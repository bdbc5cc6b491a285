"""Loading a ``.keras`` file written by any task, whatever custom objects it holds.

The package's layers and models register themselves with Keras when their module is
imported; a ``.keras`` file names each object's module in its ``config.json``, so the
modules of ``keras_taskadapt`` that the file needs are imported before Keras reads it.
"""

import importlib
import json
import os
import zipfile

from keras_taskadapt.errors import UserError

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


def load_keras_model(path):
    """The model in the ``.keras`` file at ``path``; a missing or foreign file is a :class:`UserError`."""
    import keras

    if not os.path.isfile(path):
        raise UserError(f"--model {path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise UserError(f"--model {path}: not a .keras model file") from None
    for module in sorted(modules_named(config)):
        importlib.import_module(module)
    return keras.models.load_model(path)
