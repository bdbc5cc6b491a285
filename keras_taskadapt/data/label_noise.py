"""Training labels corrupted at random (seed 000 section 3.4.1, "Robustness against Corrupted
Labels"; seed 002 section 4.2).

The seed corrupts a ratio (CR) of 10 %, 20 % or 30 % of the CIFAR-10 training labels (5 % and
10 % of CIFAR-100's) with random seed 10, trains on them and evaluates on the correct test
labels. Here ``floor(ratio * n)`` training examples, drawn without replacement, get a label
drawn uniformly from the K - 1 *other* classes, so the ratio is exactly the fraction of wrong
labels. (The MCR^2 code the seed builds on, reference [44], draws the new label from all K
classes, so about 1 / K of its "corrupted" labels stay right.)

Each corrupted example keeps its wrong label for the whole run: the labels are shifted by a
fixed offset per stored example, ``(y + o_i) mod K`` with ``o_i`` in 1 .. K - 1 (0 for the
clean ones), whatever order the pipeline shuffles the examples into. The test split is
untouched.
"""

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.derived_source import derived_source, split_size

#: "When generating random corrupted labels for training set, we use the random seed of 10"
#: (section 3.4.1).
SEED_CORRUPTION_SEED = 10


def corruption_offsets(size, num_classes, ratio, seed=SEED_CORRUPTION_SEED):
    """Label offsets ``o_i`` of ``size`` examples: ``floor(ratio * size)`` of them in 1 .. K - 1, the rest 0."""
    if not 0.0 <= ratio <= 1.0:
        raise TaskAdaptError(f"the corrupted fraction must be in [0, 1]. Received: label_corruption={ratio}",
                             parameter="label_corruption")
    if num_classes < 2 and ratio > 0:
        raise TaskAdaptError("label corruption needs at least two classes")
    generator = np.random.default_rng(seed)
    count = int(np.floor(ratio * size + 1e-9))  # the tolerance keeps 0.3 * 10 at 3
    chosen = generator.choice(size, size=count, replace=False)
    offsets = np.zeros(size, np.int64)
    offsets[chosen] = generator.integers(1, num_classes, size=count)
    return offsets


def corrupt_labels(source, ratio, seed=SEED_CORRUPTION_SEED):
    """``(source with corrupted training labels, the corrupted fraction)`` (module docstring)."""
    import tensorflow as tf

    size = split_size(source, "train")
    offsets = corruption_offsets(size, source.num_classes, ratio, seed)
    clean = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).repeat()

    def records(split, dataset):
        shifts = tf.data.Dataset.from_tensor_slices(offsets) if split == "train" else clean
        return tf.data.Dataset.zip((shifts, dataset))

    def decode_batch(shifts, batch):
        images, labels = source.decode_batch(*batch) if isinstance(batch, tuple) else source.decode_batch(batch)
        return images, (labels + shifts) % source.num_classes

    fraction = float(np.count_nonzero(offsets) / size) if size else 0.0
    return derived_source(source, records, decode_batch), fraction
