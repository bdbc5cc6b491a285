"""Streaming TFRecords into ``tf.data``: parallel interleave, parallel decode, prefetch."""

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from tfrecords_tools.errors import TFRecordError
from tfrecords_tools.framing import count_records, scan_file
from tfrecords_tools.verify import expand_glob, verify_files

AUTOTUNE = tf.data.AUTOTUNE
DECODE_BATCH = 256


@dataclass
class ReadReport:
    """What a pipeline reads: its files, the records it yields and the damaged ones it skipped."""

    files: list
    skipped: int = 0
    damaged: list = field(default_factory=list)
    records: int = 0


def record_dataset(files, *, skip_corrupt=False, shuffle_files=False, seed=None):
    """Serialised records from ``files``, shards read in parallel (deterministic order).

    With ``skip_corrupt`` every file is verified first; intact files stream through
    ``TFRecordDataset``, and the intact records of damaged files follow them. The dataset
    knows its number of records (``tf.data`` cardinality), so Keras knows the steps of an
    epoch. Returns ``(dataset, ReadReport)``.
    """
    report = ReadReport(list(files))
    intact_files = list(files)
    salvaged = []
    report.records = sum(count_records(path) for path in files)
    if skip_corrupt:
        verified = verify_files(files, strict=False)
        report.skipped, report.damaged = verified.skipped, verified.damaged
        report.records = sum(verified.intact.values())
        damaged_files = verified.damaged_files
        intact_files = [path for path in files if path not in damaged_files]
        salvaged = [slot.payload for path in damaged_files for slot in scan_file(path) if slot.damage is None]
    dataset = tf.data.Dataset.from_tensor_slices(tf.constant(intact_files, tf.string))
    if shuffle_files and intact_files:
        dataset = dataset.shuffle(len(intact_files), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.interleave(
        tf.data.TFRecordDataset,
        cycle_length=max(1, min(len(intact_files), 8)),
        num_parallel_calls=AUTOTUNE,
        deterministic=True,
    )
    if salvaged:
        dataset = dataset.concatenate(tf.data.Dataset.from_tensor_slices(tf.constant(salvaged, tf.string)))
    return dataset.apply(tf.data.experimental.assert_cardinality(report.records)), report


def first_example(files):
    """The first intact record of ``files`` as a ``tf.train.Example`` (``None`` if there is none)."""
    from google.protobuf.message import DecodeError

    for path in files:
        for index, slot in enumerate(scan_file(path)):
            if slot.damage is None:
                try:
                    return tf.train.Example.FromString(slot.payload)
                except DecodeError:
                    raise TFRecordError(f"{path}: record {index} is not a tf.train.Example") from None
    return None


def decode_rgb(encoded):
    """Decode JPEG, PNG, GIF or BMP bytes to a uint8 H x W x 3 image (greyscale repeated).

    JPEGs use the accurate integer IDCT, so pixels equal what libjpeg (Pillow) decodes.
    """
    image = tf.cond(
        tf.io.is_jpeg(encoded),
        lambda: tf.io.decode_jpeg(encoded, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(encoded, channels=3, expand_animations=False),
    )
    return tf.ensure_shape(image, [None, None, 3])


def parse_image_batch(records, image_shape, raw=False):
    """``(uint8 images B x H x W x C, int64 labels)`` from a batch of image records.

    Encoded records hold JPEG/PNG bytes (greyscale decodes to three channels), raw records
    ``image/raw`` pixels; every image of a file set has the shape ``image_shape``. Parsing a
    whole batch at once is what lets a stream reach tens of thousands of images a second.
    """
    label_key = "image/class/label"
    image_key = "image/raw" if raw else "image/encoded"
    parsed = tf.io.parse_example(records, {
        image_key: tf.io.FixedLenFeature([], tf.string),
        label_key: tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    })
    if raw:
        images = tf.reshape(tf.io.decode_raw(parsed[image_key], tf.uint8), (-1,) + tuple(image_shape))
    else:
        images = tf.map_fn(
            lambda encoded: tf.ensure_shape(decode_rgb(encoded), image_shape),
            parsed[image_key],
            fn_output_signature=tf.TensorSpec(image_shape, tf.uint8),
            parallel_iterations=32,
        )
    return images, parsed[label_key]


def parse_dense_batch(records, shape):
    """``(float32 tensors B x shape, int64 labels)`` from a batch of dense tensor records."""
    parsed = tf.io.parse_example(records, {
        "tensor/values": tf.io.FixedLenFeature([int(np.prod(shape))], tf.float32),
        "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    })
    return tf.reshape(parsed["tensor/values"], (-1,) + tuple(shape)), parsed["label"]


def parse_sparse_batch(records, shape):
    """``(float32 dense tensors B x shape, int64 labels)`` from a batch of value + position records."""
    parsed = tf.io.parse_example(records, {
        "sparse/values": tf.io.VarLenFeature(tf.float32),
        "sparse/positions": tf.io.VarLenFeature(tf.int64),
        "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    })
    values, positions = parsed["sparse/values"], parsed["sparse/positions"]
    rows = values.indices[:, 0]
    size = int(np.prod(shape))
    indices = tf.stack([rows, positions.values], axis=1)
    dense = tf.scatter_nd(indices, values.values, tf.stack([tf.shape(records, out_type=tf.int64)[0], size]))
    return tf.reshape(dense, (-1,) + tuple(shape)), parsed["label"]


def batch_parser(example):
    """The batch parser for records shaped like ``example`` (a ``tf.train.Example``)."""
    kind, shape = record_kind(example), tuple(int(side) for side in record_shape(example))
    if kind == "image":
        raw = "image/raw" in example.features.feature
        return lambda records: parse_image_batch(records, shape, raw)
    if kind == "dense":
        return lambda records: parse_dense_batch(records, shape)
    return lambda records: parse_sparse_batch(records, shape)


def record_kind(example):
    """Which schema a ``tf.train.Example`` follows: ``image``, ``dense`` or ``sparse``."""
    keys = set(example.features.feature)
    if "image/encoded" in keys or "image/raw" in keys:
        return "image"
    if "tensor/values" in keys:
        return "dense"
    if "sparse/values" in keys:
        return "sparse"
    raise TFRecordError(f"records hold none of the known schemas (image/encoded or image/raw, tensor/values, "
                        f"sparse/values); their keys: {sorted(keys)}")


def record_shape(example):
    """The element shape a record decodes to, read from its own fields."""
    feature = example.features.feature
    kind = record_kind(example)
    if kind == "image":
        channels = feature["image/channels"].int64_list.value[0] if "image/channels" in feature else 3
        return (feature["image/height"].int64_list.value[0], feature["image/width"].int64_list.value[0], channels)
    key = "tensor/shape" if kind == "dense" else "sparse/shape"
    return tuple(feature[key].int64_list.value)


def stream_records(pattern, *, batch_size=None, skip_corrupt=False, shuffle_files=False, seed=None):
    """Stream ``(tensor, label)`` pairs from the shards matching ``pattern``.

    The schema and element shape are read from the first intact record. Records are parsed
    and decoded a batch at a time; with ``batch_size=None`` the pairs come unbatched. Returns
    ``(dataset, ReadReport)``; the dataset is prefetched.
    """
    files = expand_glob(pattern)
    first = first_example(files)
    if first is None:
        raise TFRecordError(f"{pattern}: no intact record to read")
    records, report = record_dataset(files, skip_corrupt=skip_corrupt, shuffle_files=shuffle_files, seed=seed)
    dataset = records.batch(batch_size or DECODE_BATCH).map(batch_parser(first), num_parallel_calls=AUTOTUNE,
                                                             deterministic=True)
    if batch_size is None:
        dataset = dataset.unbatch()
    return dataset.prefetch(AUTOTUNE), report
