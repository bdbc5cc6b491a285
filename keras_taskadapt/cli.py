"""``keras-taskadapt <verb> <task> [options]``: the command line.

Verbs: train, evaluate, sweep, export, data (see ``keras_taskadapt.tasks``). A mistake the user
can fix ends in one line ``error: ...`` and exit status 2, never a traceback.
"""

import argparse
import os
import sys

from keras_taskadapt import __version__
from keras_taskadapt.errors import UserError
from keras_taskadapt.tasks import TASK_MODULES, VERBS, command


class _OneLineErrors(argparse.ArgumentParser):
    """argparse's usage errors, kept to one line and exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message}\n")


def build_parser():
    parser = _OneLineErrors(prog="keras-taskadapt", description="Task- and channel-adapted deep networks: keras-taskadapt VERB TASK [options].")
    parser.add_argument("--version", action="version", version=f"keras-taskadapt {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="verb", required=True, parser_class=_OneLineErrors)
    for verb, summary in VERBS.items():
        verb_parser = verbs.add_parser(verb, help=summary, description=summary)
        tasks = verb_parser.add_subparsers(dest="task", metavar="task", required=True, parser_class=_OneLineErrors)
        for task in TASK_MODULES[verb]:
            add_arguments, run, task_summary = command(verb, task)
            task_parser = tasks.add_parser(task, help=task_summary, description=task_summary)
            add_arguments(task_parser)
            task_parser.set_defaults(run=run)
    return parser


def _diagnose_data_loss(args):
    """Turn TensorFlow's anonymous "corrupted record at N" into the file and record index."""
    from tfrecords_tools import expand_glob, verify_files

    spec = getattr(args, "dataset", "") or ""
    if spec.startswith("tfrecord:"):
        verify_files(expand_glob(spec[len("tfrecord:"):]), strict=True)  # raises CorruptRecordError
    raise UserError("a data file is damaged (TensorFlow reported data loss); run `keras-taskadapt data verify`")


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version and usage errors (already printed)
        return done.code
    try:
        try:
            args.run(args)
        except Exception as error:  # TensorFlow's DataLossError, raised deep inside tf.data
            if type(error).__name__ != "DataLossError":
                raise
            _diagnose_data_loss(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
