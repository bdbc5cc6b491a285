"""The evaluation protocol of the few-shot field (seed 000 section 4.4; FEAT, ProtoNet).

A model is scored on ``episodes`` seeded test episodes of the novel split (the same for
every model with the same ``episode_seed``): the mean of the per-episode query accuracies,
with its 95% confidence interval ``1.96 * std / sqrt(episodes)`` (FEAT's
``compute_confidence_interval``). A pre-trained base classifier is scored through its backbone
with ProtoNet's nearest-prototype rule.
"""

import numpy as np

from keras_taskadapt.fewshot.episodes import EpisodeLayout, episode_dataset
from keras_taskadapt.fewshot.pretraining import BaseClassifier

DEFAULT_TEST_EPISODES = 2000
#: Episodes embedded per call.
EPISODES_PER_CALL = 8


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


def episode_accuracies(model, split, layout, *, episodes=DEFAULT_TEST_EPISODES, seed=0, image_shape=None):
    """The query accuracy of every one of ``episodes`` test episodes of ``split`` (module docstring)."""
    import tensorflow as tf

    classifier = episodic_model(model, layout)
    targets = tf.constant(layout.query_targets(), tf.int64)

    @tf.function
    def correct_fractions(images):
        predictions = tf.argmax(classifier(images, training=False), axis=-1)
        return tf.reduce_mean(tf.cast(tf.equal(predictions, targets[None]), tf.float32), axis=-1)

    data = episode_dataset(split, layout, seed=seed, episodes=episodes, image_shape=image_shape)
    return np.concatenate([correct_fractions(images).numpy()
                           for images, _ in data.batch(EPISODES_PER_CALL).prefetch(2)])


def episode_metrics(model, split, *, ways, shots, queries, episodes=DEFAULT_TEST_EPISODES, seed=0,
                    image_shape=None):
    """``accuracy``, ``ci95``, ``episodes``, ``ways``, ``shots``, ``queries`` on ``split``."""
    layout = EpisodeLayout(ways, shots, queries)
    accuracies = episode_accuracies(model, split, layout, episodes=episodes, seed=seed, image_shape=image_shape)
    return {"accuracy": float(np.mean(accuracies)), "ci95": confidence_interval(accuracies),
            "episodes": int(len(accuracies)), "ways": ways, "shots": shots, "queries": queries}
