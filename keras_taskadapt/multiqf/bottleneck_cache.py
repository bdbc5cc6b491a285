"""The bottleneck cache (seed 004, section 4.1 and algorithm 3).

The activations at one block's input, for every input version of every image, are computed
once by the frozen trunk below it and written as sparse value + position TFRecords
(:func:`tfrecords_tools.writer.sparse_example`: after a ReLU most of them are zero, table 4.1),
one record per image holding its ``V x activation`` tensor and its label. Training the blocks
above then streams them instead of recomputing the frozen blocks every epoch.

A cache folder holds ``train-*.tfrecord`` and ``val-*.tfrecord`` shards and ``cache.json``,
which records what the activations are of: the base's fingerprint, the block (and the trunk
layer whose output is stored), the qualities, the images (data set, held-out and training
counts) and the zero fraction; a run refuses a cache written for another base, block or
input (:func:`check_cache`). ``cache.json`` is written last, so a folder without it is no
cache.
"""

import json
import os

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import write_json
from keras_taskadapt.multiqf.topology import trunk_of

CACHE_FILE = "cache.json"
SPLITS = ("train", "val")
SHUFFLE_BUFFER = 4096


def cache_point(blocks, block_name, feature_layer):
    """The trunk layer whose output is ``block_name``'s input: the end of the block below it, or
    ``feature_layer`` for ``head`` (the input of the new head)."""
    if block_name == "head":
        return feature_layer
    names = [block.name for block in blocks]
    if block_name not in names:
        raise TaskAdaptError(f"the base network has no block {block_name!r}; its blocks: head {' '.join(names[::-1])}",
                             parameter="block")
    index = names.index(block_name)
    if index == 0:
        raise TaskAdaptError(f"block {block_name} is the first block: its input is the image itself, there is "
                             f"nothing to cache", parameter="block")
    return blocks[index - 1].end


def block_sparsity(topology, blocks, batches):
    """Table 4.1: rows ``{"block", "layer", "zero_fraction"}``, the fraction of zeros at the output
    of every block of ``topology``'s trunk over every version of the images in ``batches``."""
    import keras

    trunk = trunk_of(topology)
    outputs = keras.Model(trunk.inputs, [trunk.get_layer(block.end).output for block in blocks])
    zeros, sizes = np.zeros(len(blocks)), np.zeros(len(blocks))
    for versions, _ in batches:
        versions = np.asarray(versions)
        for index, activations in enumerate(outputs.predict_on_batch(versions.reshape(-1, *versions.shape[2:]))):
            zeros[index] += np.count_nonzero(np.asarray(activations) == 0)
            sizes[index] += np.asarray(activations).size
    return [{"block": block.name, "layer": block.end, "zero_fraction": float(zeros[index] / sizes[index])}
            for index, block in enumerate(blocks)]


def claim_cache_folder(out, force=False):
    """Make ``out`` ready for a new cache: a new or empty folder, one with the files of a cache
    whose writing was interrupted, or (with ``force``) one that holds a cache; the cache's files
    are removed. A folder with anything else is refused."""
    import glob

    os.makedirs(out, exist_ok=True)
    shards = [path for split in SPLITS for path in glob.glob(os.path.join(out, f"{split}-*.tfrecord"))]
    written = {os.path.basename(path) for path in shards}
    written |= {name for name in (CACHE_FILE, "sparsity.csv") if os.path.exists(os.path.join(out, name))}
    others = sorted(set(os.listdir(out)) - written)
    if others:
        raise TaskAdaptError(f"{out} holds files that are no bottleneck cache ({others[0]}, ...); write the cache "
                             f"into a new folder", parameter="out")
    if CACHE_FILE in written and not force:  # without it the files are an unfinished cache's
        raise TaskAdaptError(f"{out} already holds a bottleneck cache; replace it (force)", parameter="out")
    for name in written:
        os.remove(os.path.join(out, name))


def write_cache(below, streams, out, description, shards=4):
    """Write the cache of the module docstring into ``out`` (claimed, :func:`claim_cache_folder`);
    returns its ``cache.json`` content.

    Args:
        below: the trunk from the image to the cached layer (``topology.trunk_below``).
        streams: ``{"train": dataset, "val": dataset}`` of batches ``(versions B x V x H x W x 3, labels)``.
        description: what ``cache.json`` records about the base, block and inputs.
    """
    from tfrecords_tools.writer import ShardedWriter, sparse_example

    counts, zeros, values, shape = {}, 0, 0, None
    for split in SPLITS:
        with ShardedWriter(os.path.join(out, split), shards) as writer:
            for versions, labels in streams[split]:
                versions = np.asarray(versions)
                count, version_count = versions.shape[:2]
                folded = versions.reshape(count * version_count, *versions.shape[2:])
                activations = np.asarray(below.predict_on_batch(folded))
                activations = activations.reshape(count, version_count, *activations.shape[1:])
                shape = activations.shape[1:]
                zeros += int(np.count_nonzero(activations == 0))
                values += activations.size
                for tensor, label in zip(activations, np.asarray(labels)):
                    writer.write(sparse_example(tensor, int(label)))
            counts[split] = writer.count
    content = {**description, "shape": list(shape), "train_records": counts["train"], "val_records": counts["val"],
               "zero_fraction": zeros / values, "shards": shards}
    write_json(os.path.join(out, CACHE_FILE), content)
    return content


def read_cache_description(path):
    """``cache.json`` of the cache folder ``path`` (one error when it is none)."""
    try:
        with open(os.path.join(path, CACHE_FILE)) as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise TaskAdaptError(f"{path}: no bottleneck cache ({CACHE_FILE} is missing; write one with data "
                             f"cache-bottlenecks)", parameter="cache") from None
    except ValueError:
        raise TaskAdaptError(f"{path}: {CACHE_FILE} is damaged", parameter="cache") from None


def check_cache(path, expected):
    """The cache description at ``path``, checked to be of ``expected`` (a mapping of the keys
    that must agree: fingerprint, block, qualities, data set, held-out and training counts)."""
    described = read_cache_description(path)
    for key, value in expected.items():
        if described.get(key) != value:
            raise TaskAdaptError(f"{path} was written for {key} {described.get(key)!r}, this run has {value!r}; "
                                 f"write a cache for this run (data cache-bottlenecks)", parameter="cache")
    return described


def cache_stream(path, split, *, batch_size, shuffle=False, seed=0):
    """Batches ``(activations B x V x ..., labels)`` of one split of the cache at ``path``."""
    import tensorflow as tf

    from tfrecords_tools.reader import parse_sparse_batch, record_dataset

    described = read_cache_description(path)
    files = sorted(tf.io.gfile.glob(os.path.join(path, f"{split}-*.tfrecord")))
    if not files:
        raise TaskAdaptError(f"{path}: the cache holds no {split} shards", parameter="cache")
    records, _ = record_dataset(files)  # round-robin shards read back in the order written
    if shuffle:
        records = records.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    shape = tuple(described["shape"])
    return records.batch(batch_size).map(lambda batch: parse_sparse_batch(batch, shape),
                                         num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
