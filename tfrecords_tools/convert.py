"""Converting a data set into sharded TFRecords in any of the three schemas.

``encoded`` keeps each image file's bytes as they are (JPEG stays the same JPEG) where the
data set is stored as files, and encodes arrays losslessly as PNG otherwise; ``raw`` stores
uint8 pixels; ``dense`` and ``sparse`` store float32 tensors (pixel values, or any tensor such
as cached bottleneck features) as value lists or as value + position.
"""

import os

import numpy as np
import tensorflow as tf

from tfrecords_tools.reader import decode_rgb
from tfrecords_tools.writer import (
    ShardedWriter,
    dense_example,
    encoded_image_example,
    raw_image_example,
    sparse_example,
)

FORMATS = ("encoded", "raw", "dense", "sparse")


def image_format(encoded):
    """``jpeg``, ``png``, ``gif`` or ``bmp`` from an encoded file's magic bytes."""
    if encoded[:2] == b"\xff\xd8":
        return "jpeg"
    if encoded[:4] == b"\x89PNG":
        return "png"
    if encoded[:3] == b"GIF":
        return "gif"
    if encoded[:2] == b"BM":
        return "bmp"
    return "unknown"


def _encoded_examples(source, split):
    if source.encoded is not None:
        for encoded, label, filename in source.encoded(split).as_numpy_iterator():
            image = decode_rgb(encoded)
            yield encoded_image_example(
                encoded, image.shape[0], image.shape[1], int(label), image_format=image_format(encoded),
                text=source.class_names[label], filename=filename.decode(),
            )
        return
    for index, (image, label) in enumerate(source.examples(split).as_numpy_iterator()):
        yield encoded_image_example(
            tf.io.encode_png(image).numpy(), image.shape[0], image.shape[1], int(label), image_format="png",
            text=source.class_names[label], filename=f"{split}/{index}",
        )


def _array_examples(source, split, fmt):
    for index, (image, label) in enumerate(source.examples(split).as_numpy_iterator()):
        if fmt == "raw":
            yield raw_image_example(image, int(label), text=source.class_names[label], filename=f"{split}/{index}")
        elif fmt == "dense":
            yield dense_example(image.astype(np.float32), int(label))
        else:
            yield sparse_example(image.astype(np.float32), int(label))


def write_tensors(pairs, prefix, num_shards, sparse=False):
    """Write ``(tensor, label)`` pairs (NumPy or a ``tf.data`` dataset) as dense or sparse records."""
    make = sparse_example if sparse else dense_example
    if isinstance(pairs, tf.data.Dataset):
        pairs = pairs.as_numpy_iterator()
    with ShardedWriter(prefix, num_shards) as writer:
        for tensor, label in pairs:
            writer.write(make(tensor, int(label)))
    return writer.paths, writer.count


def convert_source(source, out_dir, fmt="encoded", num_shards=4, splits=("train", "test"), progress=None):
    """Write ``source``'s splits as ``out_dir/<split>-i-of-n.tfrecord`` plus ``labels.txt``.

    ``progress(split, count)`` is called after each record when given. Returns
    ``{split: record count}``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for split in splits:
        examples = _encoded_examples(source, split) if fmt == "encoded" else _array_examples(source, split, fmt)
        with ShardedWriter(os.path.join(out_dir, split), num_shards) as writer:
            for example in examples:
                writer.write(example)
                if progress:
                    progress(split, writer.count)
        counts[split] = writer.count
    labels = os.path.join(out_dir, "labels.txt")
    with open(labels + ".partial", "w") as handle:
        handle.write("".join(f"{name}\n" for name in source.class_names))
    os.replace(labels + ".partial", labels)
    return counts
