"""The command line's tasks, each registered where it is defined (:data:`COMMANDS`).

A task module declares its commands with :func:`command`::

    @command("train", "classify", "CIFAR ResNet classifier (the no-codec reference)", add_train_arguments)
    def train(options): ...

``add_arguments(parser)`` declares the options; it runs only for the command being parsed,
so a task module may import the library (and its registries) inside it.
"""

from dataclasses import dataclass
from typing import Callable

VERBS = {
    "train": "train a model; writes the model, metrics.json, config.json, history.csv and plots to --out",
    "evaluate": "evaluate a trained model on a data set; writes metrics.json to --out",
    "sweep": "train a family of models on one budget and draw their trade-off curves",
    "export": "write deployable artifacts (SavedModel, TFLite, JPEG tables) with a report",
    "data": "convert, inspect and verify data sets and TFRecord files",
}


@dataclass(frozen=True)
class Command:
    verb: str
    task: str
    summary: str
    add_arguments: Callable
    run: Callable


#: ``{(verb, task): Command}`` in registration order.
COMMANDS = {}


def command(verb, task, summary, add_arguments):
    """Decorator: register the decorated ``run(options)`` as ``keras-taskadapt verb task``."""
    if verb not in VERBS:
        raise ValueError(f"unknown verb {verb!r}; the verbs are {', '.join(VERBS)}")

    def register(run):
        if (verb, task) in COMMANDS:
            raise ValueError(f"the command {verb} {task} is registered twice")
        COMMANDS[(verb, task)] = Command(verb, task, summary, add_arguments, run)
        return run

    return register


def tasks_of(verb):
    """The task names of ``verb``, in registration order."""
    return [task for command_verb, task in COMMANDS if command_verb == verb]
