"""``keras-taskadapt <verb> <task> [options]``: the command line.

Verbs and tasks come from the command registry (:mod:`keras_taskadapt.commands.registry`); only
the command being run declares its options, so ``--help`` stays fast. A mistake the user can
fix ends in one line ``error: ...`` and exit status 2, never a traceback: argparse's usage
errors, and the library's :class:`~keras_taskadapt.core.errors.TaskAdaptError` and
:class:`~tfrecords_tools.TFRecordError`, prefixed with the option that sets the value at fault.
"""

import argparse
import os
import sys

from keras_taskadapt import __version__


class _OneLineErrors(argparse.ArgumentParser):
    """argparse's usage errors, kept to one line and exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message}\n")


#: Lines TensorFlow's C++ runtime prints on every start that say nothing about the run: the
#: oneDNN notice, the search for CUDA on a machine without it, absl's start-up warning.
START_UP_NOISE = ("All log messages before absl::InitializeLog()", "oneDNN custom operations are on",
                  "Could not find cuda drivers", "failed call to cuInit", "Unable to register cu",
                  "TF-TRT Warning", "computation placer already registered", "This TensorFlow binary is optimized",
                  "To enable the following instructions")


def import_tensorflow_quietly():
    """Import TensorFlow and let it look for devices with its start-up lines caught; the ones
    that are not noise (:data:`START_UP_NOISE`) are printed, and all of them if the import fails."""
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import tensorflow

            tensorflow.config.list_physical_devices()  # the device search prints its lines now
        except BaseException:
            os.dup2(saved, 2)
            caught.seek(0)
            sys.stderr.write(caught.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        lines = caught.read().decode(errors="replace").splitlines()
    for line in lines:
        if not any(noise in line for noise in START_UP_NOISE):
            print(line, file=sys.stderr)


def asks_for_multiworker(argv):
    """Whether ``argv`` asks for ``--strategy multiworker``."""
    pairs = zip(argv, argv[1:] + [""])
    return "--strategy=multiworker" in argv or any(word == "--strategy" and value == "multiworker"
                                                   for word, value in pairs)


def selected_command(argv):
    """``(verb, task)`` named by the first two words of ``argv`` (``None`` where absent)."""
    words = [word for word in argv if not word.startswith("-")][:2]
    return tuple(words) if len(words) == 2 else None


def build_parser(selected=None, declare_all=False):
    """The parser; only the ``selected`` command's options are declared (every command's with
    ``declare_all``; the verbs and tasks are always listed).

    Returns ``(parser, {(verb, task): task parser})``.
    """
    from keras_taskadapt.tasks import COMMANDS, VERBS, tasks_of

    parser = _OneLineErrors(prog="keras-taskadapt",
                            description="Task- and channel-adapted deep networks: keras-taskadapt VERB TASK [options].")
    parser.add_argument("--version", action="version", version=f"keras-taskadapt {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="verb", required=True, parser_class=_OneLineErrors)
    task_parsers = {}
    for verb, summary in VERBS.items():
        verb_parser = verbs.add_parser(verb, help=summary, description=summary)
        tasks = verb_parser.add_subparsers(dest="task", metavar="task", required=True, parser_class=_OneLineErrors)
        for task in tasks_of(verb):
            entry = COMMANDS[(verb, task)]
            task_parser = tasks.add_parser(task, help=entry.summary, description=entry.summary)
            if declare_all or selected == (verb, task):
                entry.add_arguments(task_parser)
            task_parser.set_defaults(run=entry.run)
            task_parsers[(verb, task)] = task_parser
    return parser, task_parsers


def option_of(parser, parameter):
    """The option string of ``parser`` that sets ``parameter`` (its ``dest``), or ``None``."""
    for action in parser._actions:
        if action.dest == parameter and action.option_strings:
            return next((option for option in action.option_strings if option.startswith("--")),
                        action.option_strings[0])
    return None


def one_line(error, task_parser):
    """The ``error: ...`` line of a library error, led by the option that sets its parameter
    (a damaged record is followed by the option that reads around it)."""
    from keras_taskadapt.core.errors import DamagedDataError
    from tfrecords_tools import CorruptRecordError

    message = " ".join(str(error).split())
    if task_parser is None:
        return f"error: {message}"
    skip = option_of(task_parser, "skip_corrupt")
    if isinstance(error, (CorruptRecordError, DamagedDataError)) and skip:
        return f"error: {message}; pass {skip} to skip damaged records and images"
    option = option_of(task_parser, getattr(error, "parameter", None))
    return f"error: {option}: {message}" if option else f"error: {message}"


#: TensorFlow's errors for data that do not decode, raised deep inside ``tf.data``.
DATA_ERRORS = ("DataLossError", "InvalidArgumentError")


def damaged_data(options):
    """The first damaged record or unreadable image of ``--dataset`` (``None`` where none is found)."""
    spec = getattr(options, "dataset", None)
    if not spec:
        return None
    from keras_taskadapt.data import open_dataset

    source = open_dataset(spec, data_dir=getattr(options, "data_dir", None))
    return source.find_damage() if source.find_damage else None


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = sys.argv[1:] if argv is None else list(argv)
    selected = selected_command(argv)
    if selected is not None and "tensorflow" not in sys.modules:
        import_tensorflow_quietly()
    if asks_for_multiworker(argv):  # its collective ops must be configured before TensorFlow runs an op
        from keras_taskadapt.core.distribute import make_strategy

        make_strategy("multiworker")
    parser, task_parsers = build_parser(selected)
    try:
        options = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version and usage errors (already printed)
        return done.code
    from keras_taskadapt.core.errors import DamagedDataError, TaskAdaptError
    from tfrecords_tools.errors import TFRecordError

    task_parser = task_parsers.get(selected)
    try:
        try:
            options.run(options)
        except Exception as error:
            damage = damaged_data(options) if type(error).__name__ in DATA_ERRORS else None
            if damage is None:
                raise
            print(one_line(DamagedDataError(damage), task_parser), file=sys.stderr)
            return 2
    except (TaskAdaptError, TFRecordError) as error:
        print(one_line(error, task_parser), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run(*argv):
    """Run one ``keras-taskadapt`` command in this process, as a script runs a step: the
    command is echoed, and a failure (its one-line error already printed) ends the script
    with the command's exit status."""
    import shlex

    print("$ keras-taskadapt", shlex.join(str(arg) for arg in argv), flush=True)
    code = main([str(arg) for arg in argv])
    if code:
        raise SystemExit(code)
