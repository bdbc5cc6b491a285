"""Batching, deterministic shuffling, augmentation and prefetch for every data set."""

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
SHUFFLE_BUFFER = 10_000


def resize_uint8(images, size):
    """Bilinear resize of uint8 images to ``size`` (H, W), rounded back to uint8."""
    resized = tf.image.resize(images, size, method="bilinear")
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)


def random_crop_flip(image, seed):
    """Pad by 1/8 of the side (mirrored), crop back at a random place, flip half the time.

    The standard CIFAR augmentation (pad 4, crop 32, flip). ``seed`` is a shape-[2] stateless
    seed, so the same data-set seed gives the same augmentations.
    """
    height, width, channels = image.shape
    pad = max(1, height // 8)
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="SYMMETRIC")
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(padded, (height, width, channels), seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def augment_batch(images, labels, seed):
    """:func:`random_crop_flip` on every image, each with its own seed folded from ``seed``."""
    indices = tf.range(tf.shape(images)[0])
    augmented = tf.map_fn(
        lambda item: random_crop_flip(item[0], tf.random.experimental.stateless_fold_in(seed, item[1])),
        (images, indices),
        fn_output_signature=tf.TensorSpec(images.shape[1:], images.dtype),
    )
    return augmented, labels


def make_pipeline(source, split, *, batch_size, shuffle=False, seed=0, augment=False, image_size=None,
                  drop_remainder=False, repeat=False):
    """Batches of ``(uint8 images, int64 labels)`` of one split of ``source``, ready for ``fit``.

    Light records are shuffled (seeded, reshuffled each epoch), batched, then decoded a batch
    at a time in parallel; augmentation is seeded too, so the same seed gives the same order
    and the same crops every run. Element order is deterministic.

    Under a multi-worker strategy the training split of a source stored as files whose shares
    hold equal record counts (``tfrecord:`` shards; :attr:`ImageSource.worker_records`) is
    sharded by file: each worker reads only its files (every ``workers``-th, from its index)
    and contributes its part of each global batch from them. Anything else is sharded by
    data: every worker reads the whole pipeline and keeps its share of each global batch, so
    the workers together train on the global batch a single process would, and predictions
    gathered from the workers come back in the split's order (what evaluation compares with
    the labels).
    """
    from keras_taskadapt.core.distribute import worker_position

    workers, index = worker_position()
    options = tf.data.Options()
    options.deterministic = True
    dataset = None
    if workers > 1 and split == "train" and source.worker_records is not None:
        dataset = source.worker_records(split, workers, index)
    if dataset is None:
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        dataset = source.records(split)
    else:  # already this worker's share
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    dataset = dataset.with_options(options)
    if shuffle:
        dataset = dataset.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.map(source.decode_batch, num_parallel_calls=AUTOTUNE, deterministic=True)
    if image_size is not None:
        size = tuple(image_size)
        dataset = dataset.map(lambda images, labels: (resize_uint8(images, size), labels), num_parallel_calls=AUTOTUNE)
    if augment:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda batch, pair: augment_batch(batch[0], batch[1], pair), num_parallel_calls=AUTOTUNE
        )
    return dataset.prefetch(AUTOTUNE)
