"""The command line's tasks: ``keras-taskadapt <verb> <task>``.

Every module here only wires options to the library: it declares its options and registers
its commands in :data:`~keras_taskadapt.commands.registry.COMMANDS`
(:func:`~keras_taskadapt.commands.registry.command`); the work is done by the chapters'
packages. Task modules import nothing heavy at import time and never import each other.
"""

from keras_taskadapt.tasks import (  # noqa: F401  each registers its commands
    classify,
    data_convert,
    data_inspect,
    export_jcc_sensor,
    export_qtables,
    export_savedmodel,
    export_split,
    export_tflite,
    fewshot,
    hierarchical,
    jcc,
    multiqf,
    pruning,
    salinity,
)
from keras_taskadapt.commands.registry import COMMANDS, VERBS, tasks_of

__all__ = ["COMMANDS", "VERBS", "tasks_of"]
