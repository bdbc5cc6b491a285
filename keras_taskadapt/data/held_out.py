"""A validation split held out from the training split, for data sets that have only two.

Stage-by-stage training needs a validation set that is neither trained on nor the test set it
reports on. ``validation`` training records drawn at random (a fixed seed, so every run and
every cache of a data set draws the same) become the ``test`` split of a validation source;
the training source keeps ``train`` others (``None``: all the rest), drawn the same way. A
random draw, not the first records: folder data sets list their files class by class, so the
first records would be a few whole classes. Both keep the records in stored order.
"""

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.derived_source import derived_source, split_size

HOLD_OUT_SEED = 0


def held_out_sources(source, validation, train=None):
    """``(training source, validation source)`` of ``source`` (module docstring)."""
    import numpy as np
    import tensorflow as tf

    size = split_size(source, "train")
    rest = size - validation
    if rest < 1:
        raise TaskAdaptError(f"the training split of {source.name} has {size} images, too few to hold {validation} "
                             f"out for validation", parameter="val_images")
    kept = rest if train is None else min(train, rest)
    order = np.random.default_rng(HOLD_OUT_SEED).permutation(size)
    held, trained = np.zeros(size, bool), np.zeros(size, bool)
    held[order[:validation]] = True
    trained[order[validation:validation + kept]] = True

    def chosen(dataset, mask, count):
        mask = tf.constant(mask)
        picked = dataset.enumerate().filter(lambda index, _: mask[index]).map(lambda _, record: record)
        return picked.apply(tf.data.experimental.assert_cardinality(count))

    def training_records(split, dataset):
        return dataset if split != "train" else chosen(dataset, trained, kept)

    def validation_records(split, dataset):  # every split of the validation source is the held-out draw
        return chosen(source.records("train"), held, validation)

    held_source = derived_source(source, validation_records)
    held_source.sizes = {"train": validation, "test": validation}
    return derived_source(source, training_records, train_size=kept), held_source
