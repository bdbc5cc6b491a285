"""A data set made from another by changing how its records are read (label noise, imbalance)."""

import dataclasses


def derived_source(source, records, decode_batch=None, train_size=None):
    """A copy of ``source`` whose ``records(split)`` is ``records(split, source.records(split))``.

    ``decode_batch`` replaces the source's (it then decodes what ``records`` makes);
    ``train_size`` replaces the training split's size. Damaged records the source skips are
    still counted in ``skipped_records``. The copy has no ``encoded`` view: its examples are
    no longer the stored files.
    """
    sizes = dict(source.sizes) if train_size is None else {**source.sizes, "train": int(train_size)}
    derived = dataclasses.replace(source, decode_batch=decode_batch or source.decode_batch, sizes=sizes, encoded=None)

    def derived_records(split):
        dataset = records(split, source.records(split))
        derived.skipped_records = source.skipped_records  # known once the source has opened the split
        return dataset

    derived.records = derived_records
    return derived


def split_size(source, split):
    """Examples in ``split``: the known size, else one pass over its light records."""
    import tensorflow as tf

    size = source.size(split)
    if size is None:
        size = int(source.records(split).reduce(tf.constant(0, tf.int64), lambda count, _: count + 1))
    return size


def split_labels(source, split):
    """The labels of ``split`` in stored order (int64 NumPy array; one decoding pass)."""
    import numpy as np

    batches = source.examples(split).batch(1024).map(lambda _, labels: labels)
    return np.concatenate([labels.numpy() for labels in batches] or [np.zeros(0, np.int64)])
