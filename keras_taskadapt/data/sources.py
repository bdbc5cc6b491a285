"""The registry of data-set specs (:data:`SOURCES`) and :func:`open_dataset`, which reads it.

A spec is a name (``sklearn_digits``, ``tiny_imagenet``), a prefix and its argument
(``folder:PATH``, ``tfrecord:GLOB``), or, when neither is registered, a TensorFlow Datasets
name. Every source module registers its opener here::

    @SOURCES.register("folder:", help="folder:PATH, one sub-folder per class")
    def open_image_folder(argument, *, data_dir, image_shape, skip_corrupt): ...

Import :mod:`keras_taskadapt.data` (which imports every source module) before opening one.
"""

import os

from keras_taskadapt.core.registry import Registry

SOURCES = Registry("data source", parameter="dataset")
DEFAULT_DATASET = "sklearn_digits"
DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), ".keras-taskadapt", "datasets")
#: What a spec that matches no registered source is.
TFDS_FALLBACK = "tfds"


def registered_source(spec):
    """``(opener, argument)`` of ``spec``: a registered name, a registered ``prefix:``, else tfds."""
    if spec in SOURCES:
        return SOURCES[spec], ""
    prefix, colon, argument = spec.partition(":")
    if colon and prefix + ":" in SOURCES:
        return SOURCES[prefix + ":"], argument
    return SOURCES[TFDS_FALLBACK], spec


def open_dataset(spec=DEFAULT_DATASET, *, data_dir=None, image_shape=None, skip_corrupt=False):
    """The :class:`~keras_taskadapt.data.source.ImageSource` named by ``spec`` (module docstring).

    ``data_dir``: where local copies live or downloads go (default ``$KERAS_TASKADAPT_DATA`` or
    ``~/.keras-taskadapt/datasets``); ``image_shape``: the (H, W, 3) images of another size are
    resized to, where the source lets it be chosen; ``skip_corrupt``: read around damaged records.
    """
    opener, argument = registered_source(spec)
    data_dir = data_dir or os.environ.get("KERAS_TASKADAPT_DATA", DEFAULT_DATA_DIR)
    return opener(argument, data_dir=data_dir, image_shape=image_shape, skip_corrupt=skip_corrupt)


def describe_specs():
    """The registered specs for ``--dataset``'s help (each source's help starts with its form)."""
    return "; ".join(SOURCES.help(name) for name in SOURCES)
