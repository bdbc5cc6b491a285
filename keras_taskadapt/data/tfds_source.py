"""TensorFlow Datasets names (``cifar10``, ``cifar100``, ``imagenet2012``, ``imagenette``, ...)."""

import socket

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.source import ImageSource
from keras_taskadapt.data.sources import SOURCES, TFDS_FALLBACK

DOWNLOAD_HOST = ("storage.googleapis.com", 443)
PROBE_SECONDS = 5
_TEST_SPLIT_NAMES = ("test", "validation")


def _require_network(name, data_dir):
    try:
        socket.create_connection(DOWNLOAD_HOST, timeout=PROBE_SECONDS).close()
    except OSError as error:
        raise TaskAdaptError(
            f"{name}: not prepared in {data_dir} and cannot be downloaded ({error}); prepare it there with "
            f"tensorflow-datasets (or name the folder that holds it)", parameter="data_dir"
        ) from None


@SOURCES.register(TFDS_FALLBACK,
                  help="any other name: a tensorflow-datasets name such as cifar10, prepared in --data-dir")
def open_tfds(name, *, data_dir, **_):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise TaskAdaptError(
            f"unknown data set {name!r}: use a tensorflow-datasets name, tiny_imagenet, "
            f"folder:PATH, tfrecord:GLOB or sklearn_digits"
        ) from None
    if not builder.is_prepared():
        _require_network(name, data_dir)
        try:
            builder.download_and_prepare()
        except AssertionError as error:  # tfds' way of asking for a manual download
            raise TaskAdaptError(f"{name}: {str(error).splitlines()[0]} "
                                 "(see tensorflow-datasets' manual_dir)") from None
    info = builder.info
    test_split = next((s for s in _TEST_SPLIT_NAMES if s in info.splits), None)
    split_names = {"train": "train", "test": test_split}
    image_feature, label_feature = info.supervised_keys

    def records(split):
        if split_names[split] is None:
            raise TaskAdaptError(f"{name}: has no test or validation split")
        return builder.as_dataset(split=split_names[split], as_supervised=True, shuffle_files=False)

    def decode_batch(images, labels):
        rgb = tf.image.grayscale_to_rgb(images) if images.shape[-1] == 1 else images
        return rgb, tf.cast(labels, tf.int64)

    shape = info.features[image_feature].shape
    return ImageSource(
        name=name,
        num_classes=info.features[label_feature].num_classes,
        class_names=list(info.features[label_feature].names),
        image_shape=(shape[0], shape[1], 3),
        records=records,
        decode_batch=decode_batch,
        sizes={split: info.splits[s].num_examples for split, s in split_names.items() if s},
    )
