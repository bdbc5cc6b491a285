"""The inputs of the compressed-input topology: an image and its JPEG versions (seed 004, section 3.2).

Each image goes in as itself plus its JPEG versions at the quality factors 10, 20, ..., 100
(the seed's "QF = 10:10:100": 11 inputs). The versions are written and read back by libjpeg
through ``tf.io.encode_jpeg`` / ``tf.io.decode_jpeg`` (4:2:0 chroma subsampling, libjpeg's
standard tables scaled to the quality, the accurate integer IDCT (``INTEGER_ACCURATE``;
TensorFlow's default is the fast one), fancy upsampling: the decoded pixels are those
Pillow's encode-decode at the same quality gives, checked). :func:`with_versions` is the
``tf.data`` stage: it turns batches ``(images B x H x W x 3, labels)`` into ``(versions
B x V x H x W x 3, labels)``, the original first, then the qualities in the order given.
"""

from keras_taskadapt.core.errors import TaskAdaptError

SEED_QUALITIES = tuple(range(10, 101, 10))
"""Section 3.2: QF = 10:10:100."""


def check_qualities(qualities):
    """The qualities as a tuple of ints, each in 1..100 (one :class:`TaskAdaptError` otherwise)."""
    qualities = tuple(qualities)
    if not qualities:
        raise TaskAdaptError("give at least one JPEG quality", parameter="qualities")
    for quality in qualities:
        if int(quality) != quality or not 1 <= quality <= 100:
            raise TaskAdaptError(f"a JPEG quality is a whole number in 1..100. Received: quality={quality}",
                                 parameter="qualities")
    if len(set(qualities)) != len(qualities):
        raise TaskAdaptError(f"each JPEG quality once. Received: qualities={list(qualities)}", parameter="qualities")
    return tuple(int(quality) for quality in qualities)


def jpeg_versions(images, qualities):
    """``(B, 1 + len(qualities), H, W, 3)`` uint8: each image of the batch, then its decoded JPEG
    at every quality (module docstring). ``images``: a uint8 batch ``B x H x W x 3``."""
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.uint8)

    def versions_of(image):
        decoded = [tf.io.decode_jpeg(tf.io.encode_jpeg(image, quality=quality, chroma_downsampling=True),
                                     channels=3, dct_method="INTEGER_ACCURATE") for quality in qualities]
        return tf.stack([image, *decoded])

    shape = tf.TensorSpec((1 + len(qualities), *images.shape[1:]), tf.uint8)
    return tf.map_fn(versions_of, images, fn_output_signature=shape, parallel_iterations=16)


def with_versions(dataset, qualities):
    """The ``tf.data`` stage of the module docstring on a batched ``(images, labels)`` dataset."""
    import tensorflow as tf

    qualities = check_qualities(qualities)
    return dataset.map(lambda images, labels: (jpeg_versions(images, qualities), labels),
                       num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
