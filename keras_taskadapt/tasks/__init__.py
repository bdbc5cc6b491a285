"""The command line's tasks: ``keras-taskadapt <verb> <task>``.

Each task module defines, for every verb it serves, a pair ``(add_arguments, run)`` in its
``COMMANDS`` mapping. Task modules import nothing heavy at import time, so ``--help`` is fast;
``run(args)`` imports TensorFlow when it needs it.
"""

import importlib

VERBS = {
    "train": "train a model; writes the model, metrics.json, config.json, history.csv and plots to --out",
    "evaluate": "evaluate a trained model on a data set; writes metrics.json to --out",
    "sweep": "train a family of models on one budget and draw their trade-off curves",
    "export": "write deployable artifacts (SavedModel, TFLite, JPEG tables) with a report",
    "data": "convert, inspect and verify data sets and TFRecord files",
}

TASK_MODULES = {
    "train": {"jcc": "keras_taskadapt.tasks.jcc", "classify": "keras_taskadapt.tasks.classify",
              "prune": "keras_taskadapt.tasks.pruning",
              "salinity": "keras_taskadapt.tasks.salinity", "hierarchical": "keras_taskadapt.tasks.hierarchical"},
    "evaluate": {"jcc": "keras_taskadapt.tasks.jcc", "classify": "keras_taskadapt.tasks.classify",
                 "discriminative-power": "keras_taskadapt.tasks.pruning",
                 "salinity": "keras_taskadapt.tasks.salinity", "hierarchical": "keras_taskadapt.tasks.hierarchical"},
    "sweep": {"jcc": "keras_taskadapt.tasks.jcc", "classify": "keras_taskadapt.tasks.classify",
              "salinity": "keras_taskadapt.tasks.salinity", "latent-dim": "keras_taskadapt.tasks.hierarchical",
              "hierarchical": "keras_taskadapt.tasks.hierarchical_sweep"},
    "export": {
        "qtables": "keras_taskadapt.tasks.export_qtables",
        "savedmodel": "keras_taskadapt.tasks.export_savedmodel",
        "tflite": "keras_taskadapt.tasks.export_tflite",
        "jcc-sensor": "keras_taskadapt.tasks.export_jcc_sensor",
        "split-ae": "keras_taskadapt.tasks.export_split",
    },
    "data": {
        "convert": "keras_taskadapt.tasks.data_convert",
        "inspect": "keras_taskadapt.tasks.data_inspect",
        "verify": "keras_taskadapt.tasks.data_inspect",
    },
}


def command(verb, task):
    """``(add_arguments, run, summary)`` of ``keras-taskadapt verb task``."""
    module = importlib.import_module(TASK_MODULES[verb][task])
    return module.COMMANDS[(verb, task)]
