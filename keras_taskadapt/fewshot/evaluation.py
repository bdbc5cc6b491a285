"""The evaluation protocol of the few-shot field (seed 000 section 4.4; FEAT, ProtoNet).

A model is scored on ``episodes`` seeded test episodes of the novel split (the same for
every model with the same ``episode_seed``): the mean of the per-episode query accuracies,
with its 95% confidence interval ``1.96 * std / sqrt(episodes)`` (FEAT's
``compute_confidence_interval``). A pre-trained base classifier is scored through its backbone
with ProtoNet's nearest-prototype rule.

At test time the backbone embeds each image on its own (inference batch norm, no
augmentation), so every image of the split is embedded once and the episodes are drawn as
index sets into that table (:func:`~keras_taskadapt.fewshot.episodes.episode_files`, the same
episodes as the image stream), then classified by the method's
:meth:`~keras_taskadapt.fewshot.classifier.FewShotClassifier.episode_logits`: 2,000 5-shot
episodes of 100 images cost one pass over the split's images instead of 200,000 embeddings.
"""

import numpy as np

from keras_taskadapt.fewshot.episodes import EpisodeLayout, episode_files, file_table, image_reader, image_shape_of
from keras_taskadapt.fewshot.pretraining import BaseClassifier

DEFAULT_TEST_EPISODES = 2000
#: Images embedded per call, and episodes classified per call.
IMAGES_PER_CALL = 256
EPISODES_PER_CALL = 64


def confidence_interval(accuracies):
    """The half-width of the 95% confidence interval of the mean of ``accuracies``."""
    accuracies = np.asarray(accuracies, dtype=np.float64)
    return float(1.96 * accuracies.std() / np.sqrt(len(accuracies)))


def episodic_model(model, layout):
    """``model`` set to ``layout``'s episodes (a base classifier's backbone under ProtoNet)."""
    from keras_taskadapt.fewshot.protonet import ProtoNet

    if isinstance(model, BaseClassifier):
        return ProtoNet(model.backbone, layout.ways, layout.shots, layout.queries, temperature=1.0)
    return model.with_layout(layout.ways, layout.shots, layout.queries)


def split_embeddings(backbone, split, image_shape=None):
    """``(images, D)`` float32: the inference embedding of every image of ``split``, in
    :func:`~keras_taskadapt.fewshot.episodes.file_table` order."""
    import tensorflow as tf

    paths, _, _ = file_table(split)
    read = image_reader(image_shape_of(split, image_shape))
    embed = tf.function(lambda images: backbone(images, training=False))
    images = tf.data.Dataset.from_tensor_slices(paths).map(read, num_parallel_calls=tf.data.AUTOTUNE)
    return np.concatenate([embed(batch).numpy() for batch in images.batch(IMAGES_PER_CALL).prefetch(2)])


def episode_accuracies(model, split, layout, *, episodes=DEFAULT_TEST_EPISODES, seed=0, image_shape=None):
    """The query accuracy of every one of ``episodes`` test episodes of ``split`` (module docstring)."""
    import tensorflow as tf

    classifier = episodic_model(model, layout)
    layout.check(split)
    embeddings = tf.constant(split_embeddings(classifier.backbone, split, image_shape))
    _, sizes, offsets = (tf.constant(column) for column in file_table(split))
    targets = tf.constant(layout.query_targets(), tf.int64)

    @tf.function
    def correct_fractions(file_indices):
        episode = tf.gather(embeddings, file_indices)
        support = tf.reshape(episode[:, :layout.support_size], (-1, layout.ways, layout.shots, episode.shape[-1]))
        logits = classifier.episode_logits(support, episode[:, layout.support_size:], training=False)
        predictions = tf.argmax(logits, axis=-1)
        return tf.reduce_mean(tf.cast(tf.equal(predictions, targets[None]), tf.float32), axis=-1)

    indices = tf.data.Dataset.range(episodes).map(lambda index: episode_files(seed, index, sizes, offsets, layout)[0])
    return np.concatenate([correct_fractions(batch).numpy() for batch in indices.batch(EPISODES_PER_CALL)])


def episode_metrics(model, split, *, ways, shots, queries, episodes=DEFAULT_TEST_EPISODES, seed=0,
                    image_shape=None):
    """``accuracy``, ``ci95``, ``episodes``, ``ways``, ``shots``, ``queries`` on ``split``."""
    layout = EpisodeLayout(ways, shots, queries)
    accuracies = episode_accuracies(model, split, layout, episodes=episodes, seed=seed, image_shape=image_shape)
    return {"accuracy": float(np.mean(accuracies)), "ci95": confidence_interval(accuracies),
            "episodes": int(len(accuracies)), "ways": ways, "shots": shots, "queries": queries}
