"""Sharded TFRecord writing and the ``tf.train.Example`` builders of the three schemas.

Shards are named ``<prefix>-00000-of-00008.tfrecord`` (the layout of
``../shared/data/images/cifar10-jpeg-q75``). Each shard is written under a temporary name
and renamed when complete, so an interrupted conversion never leaves a shard that looks
whole.
"""

import os

import numpy as np
import tensorflow as tf

from tfrecords_tools.sparse import to_value_position


def _bytes(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64s(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))


def _floats(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=np.asarray(values, np.float32).reshape(-1)))


def _labelled(features, label, label_key):
    if label is not None:
        features[label_key] = _int64s([label])
    return tf.train.Example(features=tf.train.Features(feature=features))


def encoded_image_example(encoded, height, width, label=None, *, image_format="jpeg", text="", filename=""):
    """An image record holding the encoded file bytes as they are (the common image schema)."""
    features = {
        "image/encoded": _bytes(encoded),
        "image/format": _bytes(image_format.encode()),
        "image/height": _int64s([height]),
        "image/width": _int64s([width]),
        "image/class/text": _bytes(text.encode()),
        "image/filename": _bytes(filename.encode()),
    }
    return _labelled(features, label, "image/class/label")


def raw_image_example(image, label=None, *, text="", filename=""):
    """An image record holding the decoded uint8 pixels (``image/raw``, H x W x C)."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3:
        raise ValueError(f"raw image records hold uint8 H x W x C arrays, got {image.dtype} {image.shape}")
    features = {
        "image/raw": _bytes(image.tobytes()),
        "image/format": _bytes(b"raw"),
        "image/height": _int64s([image.shape[0]]),
        "image/width": _int64s([image.shape[1]]),
        "image/channels": _int64s([image.shape[2]]),
        "image/class/text": _bytes(text.encode()),
        "image/filename": _bytes(filename.encode()),
    }
    return _labelled(features, label, "image/class/label")


def dense_example(tensor, label=None):
    """A dense float tensor record: ``tensor/values`` (float32, C order) and ``tensor/shape``."""
    tensor = np.asarray(tensor, np.float32)
    features = {"tensor/values": _floats(tensor), "tensor/shape": _int64s(tensor.shape)}
    return _labelled(features, label, "label")


def sparse_example(tensor, label=None):
    """A sparse tensor record: non-zero ``sparse/values``, their ``sparse/positions``, ``sparse/shape``."""
    values, positions, shape = to_value_position(np.asarray(tensor, np.float32))
    features = {
        "sparse/values": _floats(values),
        "sparse/positions": _int64s(positions),
        "sparse/shape": _int64s(shape),
    }
    return _labelled(features, label, "label")


class ShardedWriter:
    """Write examples round-robin into ``num_shards`` files ``<prefix>-i-of-n.tfrecord``.

    Use as a context manager; on success every shard is renamed into place, on an exception
    the temporary files are removed and nothing is left behind.
    """

    def __init__(self, prefix, num_shards):
        if num_shards < 1:
            raise ValueError("num_shards must be at least 1")
        self.paths = [f"{prefix}-{i:05d}-of-{num_shards:05d}.tfrecord" for i in range(num_shards)]
        self._temporary = [f"{path}.partial" for path in self.paths]
        self._writers = []
        self.count = 0

    def __enter__(self):
        os.makedirs(os.path.dirname(os.path.abspath(self.paths[0])), exist_ok=True)
        self._writers = [tf.io.TFRecordWriter(path) for path in self._temporary]
        return self

    def write(self, example):
        """Append one ``tf.train.Example`` (or already serialised bytes) to the next shard."""
        record = example if isinstance(example, bytes) else example.SerializeToString()
        self._writers[self.count % len(self._writers)].write(record)
        self.count += 1

    def __exit__(self, exc_type, exc, tb):
        for writer in self._writers:
            writer.close()
        if exc_type is None:
            for temporary, path in zip(self._temporary, self.paths):
                os.replace(temporary, path)
        else:
            for temporary in self._temporary:
                if os.path.exists(temporary):
                    os.remove(temporary)
        return False
