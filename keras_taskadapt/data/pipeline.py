"""Batching, deterministic shuffling, augmentation and prefetch for every data set."""

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
SHUFFLE_BUFFER = 10_000


def resize_uint8(image, size):
    """Bilinear resize of a uint8 image to ``size`` (H, W), rounded back to uint8."""
    resized = tf.image.resize(image, size, method="bilinear")
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)


def random_crop_flip(image, seed):
    """Pad by 1/8 of the side (edge replication), crop back at a random place, flip half the time.

    The standard CIFAR augmentation (pad 4, crop 32, flip). ``seed`` is a shape-[2] stateless
    seed, so the same data-set seed gives the same augmentations.
    """
    height, width, channels = image.shape
    pad = max(1, height // 8)
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="SYMMETRIC")
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(padded, (height, width, channels), seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def make_pipeline(examples, *, batch_size, shuffle=False, seed=0, augment=False, image_size=None,
                  drop_remainder=False, repeat=False):
    """Turn ``(uint8 image, label)`` examples into batches ready for ``fit``.

    Shuffling and augmentation are seeded (the same seed gives the same order and the same
    crops every run) and change from epoch to epoch; element order is deterministic.
    """
    options = tf.data.Options()
    options.deterministic = True
    dataset = examples.with_options(options)
    if image_size is not None:
        size = tuple(image_size)
        dataset = dataset.map(lambda image, label: (resize_uint8(image, size), label), num_parallel_calls=AUTOTUNE)
    if shuffle:
        dataset = dataset.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if augment:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda example, pair: (random_crop_flip(example[0], pair), example[1]),
            num_parallel_calls=AUTOTUNE,
        )
    return dataset.batch(batch_size, drop_remainder=drop_remainder, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
