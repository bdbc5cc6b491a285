"""Streaming TFRecords into ``tf.data``: parallel interleave, parallel decode, prefetch."""

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from tfrecords_tools.framing import scan_file
from tfrecords_tools.verify import expand_glob, verify_files

AUTOTUNE = tf.data.AUTOTUNE
KINDS = ("image", "dense", "sparse")


@dataclass
class ReadReport:
    """What a pipeline reads: its files and the damaged records it skipped."""

    files: list
    skipped: int = 0
    damaged: list = field(default_factory=list)


def record_dataset(files, *, skip_corrupt=False, shuffle_files=False, seed=None):
    """Serialised records from ``files``, shards read in parallel (deterministic order).

    With ``skip_corrupt`` every file is verified first; intact files stream through
    ``TFRecordDataset``, and the intact records of damaged files follow them. Returns
    ``(dataset, ReadReport)``.
    """
    report = ReadReport(list(files))
    intact_files = list(files)
    salvaged = []
    if skip_corrupt:
        verified = verify_files(files, strict=False)
        report.skipped, report.damaged = verified.skipped, verified.damaged
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
    return dataset, report


def first_example(files):
    """The first intact record of ``files`` as a ``tf.train.Example`` (``None`` if there is none)."""
    for path in files:
        for slot in scan_file(path):
            if slot.damage is None:
                return tf.train.Example.FromString(slot.payload)
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


def parse_image_record(record, image_shape=None, raw=False):
    """``(uint8 image, int64 label)`` from an image record (encoded JPEG/PNG, or ``image/raw``).

    Greyscale files decode to three channels. ``image_shape`` (H, W, C), when known, becomes the
    static shape; a record of another size then fails loudly instead of batching wrongly.
    """
    features = {"image/class/label": tf.io.FixedLenFeature([], tf.int64, default_value=-1)}
    if raw:
        features.update({
            "image/raw": tf.io.FixedLenFeature([], tf.string),
            "image/height": tf.io.FixedLenFeature([], tf.int64),
            "image/width": tf.io.FixedLenFeature([], tf.int64),
            "image/channels": tf.io.FixedLenFeature([], tf.int64, default_value=3),
        })
    else:
        features["image/encoded"] = tf.io.FixedLenFeature([], tf.string)
    parsed = tf.io.parse_single_example(record, features)
    if raw:
        shape = tf.stack([parsed["image/height"], parsed["image/width"], parsed["image/channels"]])
        image = tf.reshape(tf.io.decode_raw(parsed["image/raw"], tf.uint8), shape)
    else:
        image = decode_rgb(parsed["image/encoded"])
    if image_shape is not None:
        image = tf.ensure_shape(image, image_shape)
    return image, parsed["image/class/label"]


def parse_dense_record(record, shape):
    """``(float32 tensor of shape, int64 label)`` from a dense tensor record."""
    size = int(np.prod(shape))
    parsed = tf.io.parse_single_example(record, {
        "tensor/values": tf.io.FixedLenFeature([size], tf.float32),
        "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    })
    return tf.reshape(parsed["tensor/values"], shape), parsed["label"]


def parse_sparse_record(record, shape):
    """``(float32 dense tensor of shape, int64 label)`` from a value + position record."""
    parsed = tf.io.parse_single_example(record, {
        "sparse/values": tf.io.VarLenFeature(tf.float32),
        "sparse/positions": tf.io.VarLenFeature(tf.int64),
        "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    })
    positions = tf.expand_dims(parsed["sparse/positions"].values, -1)
    flat = tf.scatter_nd(positions, parsed["sparse/values"].values, [int(np.prod(shape))])
    return tf.reshape(flat, shape), parsed["label"]


def record_kind(example):
    """Which schema a ``tf.train.Example`` follows: ``image``, ``dense`` or ``sparse``."""
    keys = set(example.features.feature)
    if "image/encoded" in keys or "image/raw" in keys:
        return "image"
    if "tensor/values" in keys:
        return "dense"
    if "sparse/values" in keys:
        return "sparse"
    raise ValueError(f"records hold none of the known schemas (keys: {sorted(keys)})")


def record_shape(example):
    """The element shape a record decodes to, read from its own fields."""
    feature = example.features.feature
    kind = record_kind(example)
    if kind == "image":
        channels = feature["image/channels"].int64_list.value[0] if "image/channels" in feature else 3
        return (feature["image/height"].int64_list.value[0], feature["image/width"].int64_list.value[0], channels)
    key = "tensor/shape" if kind == "dense" else "sparse/shape"
    return tuple(feature[key].int64_list.value)


def stream_records(pattern, *, skip_corrupt=False, shuffle_files=False, seed=None, fixed_shape=True):
    """Stream ``(tensor, label)`` pairs from the shards matching ``pattern``.

    The schema and element shape are read from the first intact record. ``fixed_shape=False``
    lets image sizes vary between records. Returns ``(dataset, ReadReport)``; the dataset is
    unbatched and prefetched.
    """
    files = expand_glob(pattern)
    first = first_example(files)
    if first is None:
        raise ValueError(f"{pattern}: no intact record to read")
    kind, shape = record_kind(first), record_shape(first)
    records, report = record_dataset(files, skip_corrupt=skip_corrupt, shuffle_files=shuffle_files, seed=seed)
    if kind == "image":
        raw = "image/raw" in first.features.feature
        static = shape if fixed_shape else None
        parse = lambda record: parse_image_record(record, static, raw)  # noqa: E731
    elif kind == "dense":
        parse = lambda record: parse_dense_record(record, shape)  # noqa: E731
    else:
        parse = lambda record: parse_sparse_record(record, shape)  # noqa: E731
    dataset = records.map(parse, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(AUTOTUNE)
    return dataset, report
