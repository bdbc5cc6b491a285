"""N-way K-shot Q-query episodes in ``tf.data`` (seed 000 section 4.1) and labelled batches.

An episode draws ``ways`` classes of one split and, from each, ``shots + queries`` distinct
images; the first ``shots`` of a class are its support, the rest its queries. Its tensors::

    images  (ways * (shots + queries), H, W, 3) float32 in 0..255
    labels  (ways * (shots + queries),) int32, the split's class labels

with the support first, class by class (rows ``c*shots ... (c+1)*shots - 1`` are class ``c``),
then the queries, class by class in the same class order. The split's labels travel with the
images so a loss can use any partition of them (fine classes, coarse groups); the episode's
own labels ``0 .. ways-1`` follow from the layout (:meth:`EpisodeLayout.query_targets`).

Sampling is stateless: episode ``e`` of the stream with seed ``s`` is a function of
``(s, e)`` only (classes by the top ``ways`` of uniform scores, images likewise within each
class), so the same seed gives the same episodes, in any order of parallel decoding, and
test episodes are the same for every model. Decoding and augmentation run in a parallel map,
batched one episode per element, and the stream is prefetched.
"""

import collections
from dataclasses import dataclass

from keras_taskadapt.core.errors import TaskAdaptError

#: Parallel image decodes inside one episode.
PARALLEL_DECODES = 32


@dataclass(frozen=True)
class EpisodeLayout:
    """The shape of an episode: ``ways`` classes, ``shots`` support and ``queries`` query images each."""

    ways: int
    shots: int
    queries: int

    @property
    def support_size(self):
        return self.ways * self.shots

    @property
    def size(self):
        return self.ways * (self.shots + self.queries)

    def query_targets(self):
        """The episode labels of the queries: ``0 .. ways-1``, each repeated ``queries`` times."""
        import numpy as np

        return np.repeat(np.arange(self.ways, dtype="int32"), self.queries)

    def check(self, split):
        """Refuse a layout the split cannot fill (one line naming the problem)."""
        for name in ("ways", "shots", "queries"):
            if getattr(self, name) < 1:
                raise TaskAdaptError(f"{name} must be 1 or more. Received: {name}={getattr(self, name)}",
                                     parameter=name)
        if self.ways > split.num_classes:
            raise TaskAdaptError(f"{self.ways}-way episodes need {self.ways} classes; the {split.name} split has "
                                 f"{split.num_classes}", parameter="ways")
        sizes = split.class_sizes()
        smallest = min(range(len(sizes)), key=sizes.__getitem__)
        if self.shots + self.queries > sizes[smallest]:
            raise TaskAdaptError(f"{self.shots} shots + {self.queries} queries need {self.shots + self.queries} images "
                                 f"per class; class {split.classes[smallest]} of the {split.name} split has "
                                 f"{sizes[smallest]}", parameter="shots")


def image_shape_of(split, declared=None):
    """(H, W, 3) the images are resized to: ``declared``, else the majority size of the first
    image of every class (read from the headers)."""
    from keras_taskadapt.data.image_files import probe_image_shape

    if declared:
        return (int(declared[0]), int(declared[1]), 3)
    return collections.Counter(probe_image_shape(paths[0]) for paths in split.files).most_common(1)[0][0]


def image_reader(shape):
    """``path -> float32 H x W x 3`` image in 0..255 (the data sets' file reader,
    :func:`~keras_taskadapt.data.image_files.image_file_reader`)."""
    import tensorflow as tf

    from keras_taskadapt.data.image_files import image_file_reader

    read = image_file_reader(shape)
    return lambda path: tf.cast(read(path), tf.float32)


def file_table(split):
    """``(paths, class sizes, class offsets)``: every file of ``split``, class by class, and where
    each class starts in that list (the numbering :func:`episode_files` indexes)."""
    import numpy as np

    sizes = np.asarray(split.class_sizes(), dtype="int32")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype("int32")
    paths = [path for paths in split.files for path in paths]
    return paths, sizes, offsets


def sample_episode(seed, class_sizes, layout):
    """``(classes (ways,), image indices within each class (ways, shots + queries))`` of the
    episode with the stateless ``seed`` (module docstring)."""
    import tensorflow as tf

    class_seed, image_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    classes = tf.math.top_k(tf.random.stateless_uniform([tf.size(class_sizes)], class_seed), layout.ways).indices
    sizes = tf.gather(class_sizes, classes)
    largest = tf.reduce_max(class_sizes)
    scores = tf.random.stateless_uniform([layout.ways, largest], image_seed)
    scores = tf.where(tf.range(largest)[None, :] < sizes[:, None], scores, -1.0)
    return classes, tf.math.top_k(scores, layout.shots + layout.queries).indices


def episode_files(seed, index, class_sizes, class_offsets, layout):
    """``(file indices (size,), split labels (size,))`` of episode ``index`` of the stream with
    ``seed``, in the episode layout of the module docstring; the indices number
    :func:`file_table`'s paths."""
    import tensorflow as tf

    classes, picks = sample_episode(tf.stack([tf.constant(seed, tf.int64), index]), class_sizes, layout)
    order = tf.concat([tf.reshape(picks[:, :layout.shots], [-1]), tf.reshape(picks[:, layout.shots:], [-1])], 0)
    owner = tf.concat([tf.repeat(classes, layout.shots), tf.repeat(classes, layout.queries)], 0)
    return tf.gather(class_offsets, owner) + order, owner


def episode_dataset(split, layout, *, seed, episodes=None, first_episode=0, image_shape=None, augmentation=None):
    """A ``tf.data.Dataset`` of ``(images, labels)`` episodes of ``split`` (module docstring).

    ``episodes``: how many (``None``: an endless stream, for ``fit`` with ``steps_per_epoch``);
    ``first_episode``: the index of the first (episode ``e`` depends only on ``seed`` and ``e``);
    ``augmentation``: an :class:`~keras_taskadapt.fewshot.augmentation.Augmentation` for training.
    """
    import tensorflow as tf

    layout.check(split)
    shape = image_shape_of(split, image_shape)
    paths, sizes, offsets = (tf.constant(column) for column in file_table(split))
    read = image_reader(shape)

    def episode(index):
        file_indices, owner = episode_files(seed, index, sizes, offsets, layout)
        images = tf.map_fn(read, tf.gather(paths, file_indices), fn_output_signature=tf.TensorSpec(shape, tf.float32),
                           parallel_iterations=PARALLEL_DECODES)
        if augmentation:
            image_seeds = tf.random.experimental.stateless_split(
                tf.stack([tf.constant(seed, tf.int64) + 1, index]), layout.size)
            images = tf.map_fn(lambda pair: augmentation(pair[0], pair[1]), (images, image_seeds),
                               fn_output_signature=tf.TensorSpec(shape, tf.float32),
                               parallel_iterations=PARALLEL_DECODES)
        return images, tf.cast(owner, tf.int32)

    indices = tf.data.Dataset.range(first_episode, first_episode + episodes) if episodes is not None \
        else tf.data.Dataset.counter(first_episode)
    return indices.map(episode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)


def labelled_batches(split, *, batch_size, seed, image_shape=None, augmentation=None):
    """An endless, seeded, shuffled ``tf.data.Dataset`` of ``(images, labels)`` batches over
    every image of ``split`` (the pre-training data, FEAT's 64-way classifier); the
    augmentation of element ``i`` is keyed by ``(seed, i)``."""
    import tensorflow as tf

    shape = image_shape_of(split, image_shape)
    read = image_reader(shape)
    paths, labels = zip(*split.labelled_files())
    items = tf.data.Dataset.from_tensor_slices((list(paths), tf.constant(labels, tf.int32)))
    items = items.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True).repeat().enumerate()

    def example(index, item):
        path, label = item
        image = read(path)
        if augmentation:
            image = augmentation(image, tf.stack([tf.constant(seed, tf.int64), index]))
        return image, label

    return items.map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True) \
        .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
