"""``tfrecord:GLOB``: image records in the common schema (``../shared/data/README.md``).

Files are assigned to splits by their names: ``train*`` is the training split, ``test*``,
``val*`` and ``validation*`` the test split. Class names come from a ``labels.txt`` beside
the shards when there is one (one name per line, in label order); otherwise the classes are
counted from the training labels.
"""

import os
import sys

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.source import ImageSource
from keras_taskadapt.data.sources import SOURCES
from tfrecords_tools import TFRecordError, count_records, expand_glob, verify_files
from tfrecords_tools.reader import batch_parser, first_example, record_dataset, record_kind, record_shape

_SPLIT_PREFIXES = {"train": ("train",), "test": ("test", "val", "validation")}


def split_files(files):
    """``{split: [files]}`` by file-name prefix."""
    return {
        split: [path for path in files if os.path.basename(path).lower().startswith(prefixes)]
        for split, prefixes in _SPLIT_PREFIXES.items()
    }


def class_names(files, skip_corrupt):
    """Names from ``labels.txt`` beside the shards, else ``"0" .. "K-1"`` from the largest label."""
    import tensorflow as tf

    labels_file = os.path.join(os.path.dirname(files[0]), "labels.txt")
    if os.path.isfile(labels_file):
        with open(labels_file) as handle:
            return [line.strip() for line in handle if line.strip()]
    records, _ = record_dataset(files, skip_corrupt=skip_corrupt)
    label = {"image/class/label": tf.io.FixedLenFeature([], tf.int64, default_value=-1)}
    labels = records.map(lambda record: tf.io.parse_single_example(record, label)["image/class/label"])
    return [str(index) for index in range(int(labels.reduce(tf.constant(-1, tf.int64), tf.maximum)) + 1)]


@SOURCES.register("tfrecord:", help="tfrecord:GLOB, image records split by file name (train-*, test-*)")
def open_tfrecords(pattern, *, skip_corrupt=False, **_):
    try:
        files = expand_glob(pattern)
    except TFRecordError as error:
        raise TaskAdaptError(f"tfrecord:{pattern}: {error}", parameter="dataset") from None
    by_split = split_files(files)
    if not by_split["train"] and not by_split["test"]:
        raise TaskAdaptError(f"tfrecord:{pattern}: name the shards train-* and test-* (or val-*) so the splits can "
                             "be told apart", parameter="dataset")
    try:
        first = first_example(files)
        kind = None if first is None else record_kind(first)
    except TFRecordError as error:
        raise TaskAdaptError(f"tfrecord:{pattern}: {error}", parameter="dataset") from None
    if kind != "image":
        raise TaskAdaptError(f"tfrecord:{pattern}: the files hold no intact image record "
                             f"({'none is intact' if first is None else f'their records are {kind} tensors'})",
                             parameter="dataset")
    skipped = {}
    file_records = {path: count_records(path) for path in files}

    def records(split):
        if not by_split[split]:
            raise TaskAdaptError(f"tfrecord:{pattern}: no {split} shards (files named {_SPLIT_PREFIXES[split][0]}-*)")
        dataset, report = record_dataset(by_split[split], skip_corrupt=skip_corrupt)
        if report.skipped:
            print(f"skipped {report.skipped} damaged record(s) in the {split} split:", file=sys.stderr)
            for damage in report.damaged:
                print(f"  {damage.describe()}", file=sys.stderr)
        skipped[split] = report.skipped
        source.skipped_records = sum(skipped.values())
        return dataset

    def worker_records(split, workers, index):
        shares = [by_split[split][worker::workers] for worker in range(workers)]
        counts = {sum(file_records[path] for path in share) for share in shares}
        if skip_corrupt or not all(shares) or len(counts) > 1:
            return None  # damaged files change the counts; uneven shares would take uneven steps
        return record_dataset(shares[index])[0]

    names = class_names(files, skip_corrupt)
    source = ImageSource(  # records() above reports its skipped count back into it
        name=f"tfrecord:{pattern}",
        num_classes=len(names),
        class_names=names,
        image_shape=tuple(int(side) for side in record_shape(first)),
        records=records,
        decode_batch=batch_parser(first),
        sizes={split: sum(file_records[path] for path in paths) for split, paths in by_split.items() if paths},
        find_damage=lambda: next((damage.describe() for damage in verify_files(files, strict=False).damaged), None),
        worker_records=worker_records,
    )
    return source
