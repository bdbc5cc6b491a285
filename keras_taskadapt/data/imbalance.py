"""Artificially imbalanced training sets (seed 000 section 3.4.1, "Effects on Imbalanced
Datasets", tables 3.2 and 3.3).

The seed makes chosen classes under-represented by removing training images from them: 2500
or 4900 of the 5000 of two CIFAR-10 classes, 250 of the 500 of 5, 10 or 20 CIFAR-100 classes.
The test split stays balanced, and accuracy is reported on the minority classes, the majority
classes and overall (:func:`group_accuracies`). Which images go is drawn without replacement
with a seed, so a run repeats.
"""

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.derived_source import derived_source, split_labels


def class_indices(classes, class_names):
    """Label indices of ``classes``, each a class name or a label index (as text or int)."""
    indices = []
    for name in classes:
        name = str(name)
        if name in class_names:
            indices.append(list(class_names).index(name))
        elif name.isdigit() and int(name) < len(class_names):
            indices.append(int(name))
        else:
            raise TaskAdaptError(f"unknown class {name!r} (a name or an index 0..{len(class_names) - 1})",
                                 parameter="imbalance_classes")
    if len(set(indices)) != len(indices):
        raise TaskAdaptError(f"a class is named twice in {list(classes)}", parameter="imbalance_classes")
    return indices


def kept_examples(labels, classes, remove, seed):
    """Boolean mask over ``labels`` (stored order) without ``remove`` random examples of each of ``classes``."""
    if remove < 0:
        raise TaskAdaptError(f"the examples removed per class must be >= 0. Received: imbalance_remove={remove}",
                             parameter="imbalance_remove")
    generator = np.random.default_rng(seed)
    keep = np.ones(len(labels), bool)
    for label in classes:
        members = np.flatnonzero(labels == label)
        if remove > len(members):
            raise TaskAdaptError(f"cannot remove {remove} examples: class {label} has only {len(members)} training "
                                 "examples", parameter="imbalance_remove")
        keep[generator.choice(members, size=remove, replace=False)] = False
    return keep


def imbalanced(source, classes, remove, seed=0):
    """``source`` whose training split lacks ``remove`` examples of each of ``classes``
    (label indices, :func:`class_indices`)."""
    import tensorflow as tf

    keep = kept_examples(split_labels(source, "train"), classes, remove, seed)
    kept_count = int(keep.sum())
    mask = tf.constant(keep)

    def records(split, dataset):
        if split != "train":
            return dataset
        kept = dataset.enumerate().filter(lambda index, _: mask[index]).map(lambda _, record: record)
        return kept.apply(tf.data.experimental.assert_cardinality(kept_count))  # known size: no "ran out" warnings

    return derived_source(source, records, train_size=kept_count)


def group_accuracies(predicted, labels, classes):
    """Accuracy on the examples of ``classes`` (``minority``) and on the others (``majority``), as tables 3.2-3.3."""
    predicted, labels = np.asarray(predicted).reshape(-1), np.asarray(labels).reshape(-1)
    minority = np.isin(labels, classes)
    correct = predicted == labels
    return {"accuracy_minority": float(correct[minority].mean()) if minority.any() else None,
            "accuracy_majority": float(correct[~minority].mean()) if (~minority).any() else None}
