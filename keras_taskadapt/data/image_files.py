"""Data sets stored as image files on disk (``folder:``, ``tiny_imagenet``): one decode path for all.

At open time every file's header is read (Pillow reads only the header), so a file that is no
image is named at once and the image size is known before training:

- the size is the declared one (``--image-size``, or the layout's, e.g. 64x64 for Tiny
  ImageNet), else the **majority** size of the training files, never one file's;
- files of another size are resized to it (bilinear), counted in ``resized_images`` and said
  once on standard error, with the first such file;
- with ``skip_corrupt`` every file is also decoded in full once, and files that do not decode
  (truncated or damaged JPEGs) are left out and counted in ``skipped_records``; without it a
  damaged file stops the run, and :meth:`ImageSource.find_damage` names it.
"""

import collections
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from keras_taskadapt.core.errors import DamagedDataError, TaskAdaptError
from keras_taskadapt.data.source import ImageSource

#: Threads that read headers and check decodes.
READERS = 8


def probe_image_shape(path):
    """(H, W, 3) of an image file, read from its header."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError) as error:
        raise DamagedDataError(f"{path}: not a readable image ({error})") from None
    return (height, width, 3)


def decode_problem(path):
    """Why ``path`` does not decode in full (``None`` when it does)."""
    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, ValueError, SyntaxError) as error:
        return f"{path}: not a readable image ({error})"
    return None


def _parallel(function, items):
    with ThreadPoolExecutor(READERS) as pool:
        return list(pool.map(function, items))


def _without_damaged(files_by_split):
    """``(files_by_split without the files that do not decode, their count)``, said on standard error."""
    kept, problems = {}, []
    for split, pairs in files_by_split.items():
        verdicts = _parallel(decode_problem, [path for path, _ in pairs])
        kept[split] = [pair for pair, problem in zip(pairs, verdicts) if problem is None]
        problems += [problem for problem in verdicts if problem is not None]
    if problems:
        print(f"skipped {len(problems)} unreadable image(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    return kept, len(problems)


def dataset_shape(name, files_by_split, declared=None):
    """``(shape, files of another size, the first of them)``: the declared shape, else the
    training files' majority shape."""
    shapes = {split: _parallel(probe_image_shape, [path for path, _ in pairs])
              for split, pairs in files_by_split.items()}
    shape = tuple(declared) if declared else collections.Counter(shapes["train"]).most_common(1)[0][0]
    others = [path for split, pairs in files_by_split.items()
              for (path, _), found in zip(pairs, shapes[split]) if found[:2] != shape[:2]]
    if others:
        why = "the declared size" if declared else "the majority size of the training images"
        print(f"{name}: {len(others)} image(s) are not {shape[0]}x{shape[1]} ({why}) and are resized to it, "
              f"e.g. {others[0]}", file=sys.stderr)
    return shape, len(others)


def image_file_reader(shape):
    """``path -> uint8 H x W x 3`` image of ``shape``: three channels (greyscale JPEGs
    included), an image of another size resized (bilinear, rounded)."""
    import tensorflow as tf

    from tfrecords_tools.reader import decode_rgb

    def read(path):
        image = decode_rgb(tf.io.read_file(path))
        same = tf.reduce_all(tf.equal(tf.shape(image)[:2], shape[:2]))
        image = tf.cond(
            same,
            lambda: image,
            lambda: tf.cast(tf.clip_by_value(tf.round(tf.image.resize(image, shape[:2])), 0, 255), tf.uint8),
        )
        return tf.ensure_shape(image, shape)

    return read


def files_source(name, class_names, files_by_split, image_shape=None, skip_corrupt=False):
    """An :class:`ImageSource` over ``{split: [(path, label), ...]}`` (module docstring).

    Files decode to three channels (greyscale JPEGs included).
    """
    import tensorflow as tf

    if not files_by_split.get("train"):
        raise TaskAdaptError(f"{name}: no training images found", parameter="dataset")
    skipped = 0
    if skip_corrupt:
        files_by_split, skipped = _without_damaged(files_by_split)
    shape, resized = dataset_shape(name, files_by_split, image_shape)

    read = image_file_reader(shape)

    def listing(split):
        pairs = files_by_split.get(split) or []
        if not pairs:
            raise TaskAdaptError(f"{name}: no images in the {split} split", parameter="dataset")
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

    def find_damage():
        for pairs in files_by_split.values():
            problem = next((problem for problem in _parallel(decode_problem, [path for path, _ in pairs]) if problem),
                           None)
            if problem:
                return problem
        return None

    return ImageSource(
        name=name,
        num_classes=len(class_names),
        class_names=list(class_names),
        image_shape=shape,
        records=listing,
        decode_batch=decode_batch,
        sizes={split: len(pairs) for split, pairs in files_by_split.items()},
        encoded=encoded,
        skipped_records=skipped,
        resized_images=resized,
        find_damage=find_damage,
    )


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def list_images(folder):
    """Image files directly inside ``folder``, sorted."""
    return sorted(
        os.path.join(folder, entry)
        for entry in os.listdir(folder)
        if entry.lower().endswith(IMAGE_EXTENSIONS)
    )
