"""Data sets stored as image files on disk: one decode path for all of them."""

import os

from PIL import Image

from keras_taskadapt.data.source import ImageSource
from keras_taskadapt.core.errors import TaskAdaptError


def probe_image_shape(path):
    """(H, W, 3) of an image file, read from its header."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError) as error:
        raise TaskAdaptError(f"{path}: not a readable image ({error})") from None
    return (height, width, 3)


def files_source(name, class_names, files_by_split, image_shape=None):
    """An :class:`ImageSource` over ``{split: [(path, label), ...]}``.

    Files decode to three channels (greyscale JPEGs included); files whose size differs from
    ``image_shape`` (by default, the first training file's) are resized bilinearly.
    """
    import tensorflow as tf

    from tfrecords_tools.reader import decode_rgb

    if not files_by_split.get("train"):
        raise TaskAdaptError(f"{name}: no training images found")
    shape = tuple(image_shape or probe_image_shape(files_by_split["train"][0][0]))

    def read(path):
        image = decode_rgb(tf.io.read_file(path))
        same = tf.reduce_all(tf.equal(tf.shape(image)[:2], shape[:2]))
        image = tf.cond(
            same,
            lambda: image,
            lambda: tf.cast(tf.clip_by_value(tf.round(tf.image.resize(image, shape[:2])), 0, 255), tf.uint8),
        )
        return tf.ensure_shape(image, shape)

    def listing(split):
        pairs = files_by_split.get(split) or []
        if not pairs:
            raise TaskAdaptError(f"{name}: no images in the {split} split")
        paths, labels = zip(*pairs)
        return tf.data.Dataset.from_tensor_slices((list(paths), tf.constant(labels, tf.int64)))

    def decode_batch(paths, labels):
        images = tf.map_fn(read, paths, fn_output_signature=tf.TensorSpec(shape, tf.uint8), parallel_iterations=32)
        return images, labels

    def encoded(split):
        return listing(split).map(
            lambda path, label: (tf.io.read_file(path), label, path),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )

    return ImageSource(
        name=name,
        num_classes=len(class_names),
        class_names=list(class_names),
        image_shape=shape,
        records=listing,
        decode_batch=decode_batch,
        sizes={split: len(pairs) for split, pairs in files_by_split.items()},
        encoded=encoded,
    )


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def list_images(folder):
    """Image files directly inside ``folder``, sorted."""
    return sorted(
        os.path.join(folder, entry)
        for entry in os.listdir(folder)
        if entry.lower().endswith(IMAGE_EXTENSIONS)
    )
