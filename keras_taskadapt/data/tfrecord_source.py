"""``tfrecord:GLOB``: image records in the common schema (``../shared/data/README.md``).

Files are assigned to splits by their names: ``train*`` is the training split, ``test*``,
``val*`` and ``validation*`` the test split. Class names come from a ``labels.txt`` beside
the shards when there is one (one name per line, in label order); otherwise the classes are
counted from the training labels.
"""

import os
import sys

from keras_taskadapt.data.source import ImageSource
from keras_taskadapt.errors import UserError
from tfrecords_tools import count_records, expand_glob, stream_records

_SPLIT_PREFIXES = {"train": ("train",), "test": ("test", "val", "validation")}


def split_files(files):
    """``{split: [files]}`` by file-name prefix."""
    return {
        split: [path for path in files if os.path.basename(path).lower().startswith(prefixes)]
        for split, prefixes in _SPLIT_PREFIXES.items()
    }


def _class_names(files, streams):
    labels_file = os.path.join(os.path.dirname(files[0]), "labels.txt")
    if os.path.isfile(labels_file):
        with open(labels_file) as handle:
            return [line.strip() for line in handle if line.strip()]
    labels = streams("train").map(lambda image, label: label)
    return [str(label) for label in range(int(labels.reduce(-1, lambda top, label: max(top, label))) + 1)]


def open_tfrecords(pattern, skip_corrupt=False):
    import tensorflow as tf  # noqa: F401  (stream_records needs it loaded)

    files = expand_glob(pattern)
    by_split = split_files(files)
    if not by_split["train"] and not by_split["test"]:
        raise UserError(f"tfrecord:{pattern}: name the shards train-* and test-* (or val-*) so the splits can be told apart")

    def examples(split):
        if not by_split[split]:
            raise UserError(f"tfrecord:{pattern}: no {split} shards (files named {_SPLIT_PREFIXES[split][0]}-*)")
        dataset, report = stream_records(",".join(by_split[split]), skip_corrupt=skip_corrupt)
        if report.skipped:
            print(f"skipped {report.skipped} damaged record(s) in the {split} split:", file=sys.stderr)
            for damage in report.damaged:
                print(f"  {damage.describe()}", file=sys.stderr)
            source.skipped_records += report.skipped
        return dataset

    first_split = "train" if by_split["train"] else "test"
    image, _ = next(iter(examples(first_split).take(1)))
    source = ImageSource(
        name=f"tfrecord:{pattern}",
        num_classes=0,
        class_names=[],
        image_shape=tuple(image.shape),
        examples=examples,
        sizes={split: sum(count_records(path) for path in paths) for split, paths in by_split.items() if paths},
    )
    source.class_names = _class_names(files, examples)
    source.num_classes = len(source.class_names)
    return source
