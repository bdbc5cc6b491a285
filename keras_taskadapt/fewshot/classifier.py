"""The few-shot method contract and LDR guidance (seed 000 section 4.3.1, eqs. (4.1)-(4.3)).

A method is a :class:`FewShotClassifier`: an embedding ``backbone`` and a rule that turns a
support set's embeddings and a query set's into query logits (:meth:`episode_logits`), the
contract of easyfsl's ``FewShotClassifier``, as a ``keras.Model`` with its own
``train_step``/``test_step``. A step takes a batch of episodes (leading dimension: episodes;
then the layout of :mod:`keras_taskadapt.fewshot.episodes`) and trains on

    L = L_CE + lambda * L_LDR (+ the method's own regulariser),          eq. (4.3)

with ``L_CE`` the cross-entropy of the query logits (eq. (4.2)) and
``L_LDR = -R(Z) + Rc(Z, Pi)`` (eq. (4.1)) computed by
:class:`~keras_taskadapt.losses.CodingRateReduction` on the step's embeddings ``Z`` (all images
of its episodes, or the support only, ``ldr_set="support"``, eq. (4.1) as printed). The
partition ``Pi`` is

- ``hard``: the fine classes (the split's labels), the hard guidance of [43];
- ``weak``: the coarse groups of the base classes (``coarse_groups[label]``), the weak guidance;
- ``none``: no LDR term (``lambda`` is then unused), plain CE training.

Methods register in :data:`METHODS`.
"""

import keras
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.registry import Registry
from keras_taskadapt.fewshot.episodes import EpisodeLayout

METHODS = Registry("few-shot method", parameter="method")
LDR_PARTITIONS = ("none", "hard", "weak")
LDR_SETS = ("episode", "support")


def squared_distances(queries, centres):
    """``||q - c||^2`` of every query against every centre: ``(B, Q, D), (B, C, D) -> (B, Q, C)``."""
    return (ops.sum(ops.square(queries), -1)[:, :, None] + ops.sum(ops.square(centres), -1)[:, None, :]
            - 2.0 * ops.einsum("bqd,bcd->bqc", queries, centres))


class FewShotClassifier(keras.Model):
    """Support set in, query logits out (module docstring); subclasses define :meth:`episode_logits`.

    Args:
        backbone: the embedding network (images -> vectors).
        ways, shots, queries: the episode layout it trains and is called on
            (:meth:`with_layout` changes it for evaluation).
        temperature: the logits are ``-||q - c||^2 / temperature``.
        ldr: ``none``, ``hard`` or ``weak`` (the partition of the LDR term).
        ldr_weight: ``lambda`` of eq. (4.3).
        coarse_groups: the coarse group of every base class (``weak``).
        ldr_set: ``episode`` (every image of the step) or ``support``.
    """

    def __init__(self, backbone, ways=5, shots=1, queries=15, temperature=64.0, ldr="none", ldr_weight=0.0,
                 coarse_groups=None, ldr_set="episode", **kwargs):
        super().__init__(**kwargs)
        if ldr not in LDR_PARTITIONS:
            raise TaskAdaptError(f"unknown LDR partition {ldr!r}; choose one of {', '.join(LDR_PARTITIONS)}",
                                 parameter="ldr")
        if ldr_set not in LDR_SETS:
            raise TaskAdaptError(f"ldr_set must be one of {', '.join(LDR_SETS)}. Received: ldr_set={ldr_set!r}")
        if ldr == "weak" and not coarse_groups:
            raise TaskAdaptError("weak LDR guidance needs the coarse groups of the base classes", parameter="coarse")
        if temperature <= 0:
            raise TaskAdaptError(f"temperature must be above 0. Received: temperature={temperature}",
                                 parameter="temperature")
        self.backbone = backbone
        self.layout = EpisodeLayout(int(ways), int(shots), int(queries))
        self.temperature = float(temperature)
        self.ldr, self.ldr_weight, self.ldr_set = ldr, float(ldr_weight), ldr_set
        self.coarse_groups = [int(group) for group in coarse_groups] if coarse_groups else None
        from keras_taskadapt.losses import CodingRateReduction

        self.rate_reduction = CodingRateReduction()
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.ce_tracker = keras.metrics.Mean(name="ce")
        self.ldr_tracker = keras.metrics.Mean(name="ldr")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def build(self, input_shape):
        """Nothing to create: every part is built when the model is made (a reloaded model too)."""
        self.built = True

    # -- the contract ------------------------------------------------------------------

    def episode_logits(self, support, queries, training=False):
        """Query logits ``(B, ways * queries, ways)`` from support embeddings
        ``(B, ways, shots, D)`` (class by class) and query embeddings ``(B, ways * queries, D)``."""
        raise NotImplementedError

    def regulariser(self, support, queries, training=False):
        """The method's own loss term (0 unless a method adds one, as FEAT does)."""
        return ops.zeros(())

    # -- episodes ----------------------------------------------------------------------

    def embed_episodes(self, images, training=False):
        """``(support (B, ways, shots, D), queries (B, ways * queries, D), all (B * size, D))``."""
        layout = self.layout
        episodes = ops.shape(images)[0]
        flat = ops.reshape(images, (-1,) + tuple(images.shape[2:]))
        embeddings = self.backbone(flat, training=training)
        dimension = embeddings.shape[-1]
        per_episode = ops.reshape(embeddings, (episodes, layout.size, dimension))
        support = ops.reshape(per_episode[:, :layout.support_size], (episodes, layout.ways, layout.shots, dimension))
        return support, per_episode[:, layout.support_size:], embeddings

    def call(self, images, training=False):
        """Query logits of a batch of episodes ``(B, size, H, W, 3)`` in the model's layout."""
        support, queries, _ = self.embed_episodes(images, training=training)
        return self.episode_logits(support, queries, training=training)

    def query_targets(self, episodes):
        targets = ops.convert_to_tensor(self.layout.query_targets())
        return ops.tile(targets[None], (episodes, 1))

    def partition(self, labels):
        """The LDR partition's labels of the images' split labels (module docstring)."""
        if self.ldr == "weak":
            return ops.take(ops.convert_to_tensor(self.coarse_groups, "int32"), labels)
        return labels

    def ldr_loss(self, labels, embeddings):
        """``L_LDR`` of eq. (4.1) on the step's embeddings (``labels``: the split labels, (B, size))."""
        layout = self.layout
        if self.ldr_set == "support":
            dimension = embeddings.shape[-1]
            embeddings = ops.reshape(ops.reshape(embeddings, (-1, layout.size, dimension))[:, :layout.support_size],
                                     (-1, dimension))
            labels = labels[:, :layout.support_size]
        return self.rate_reduction(self.partition(ops.reshape(labels, (-1,))), embeddings)

    def episode_losses(self, images, labels, training):
        support, queries, embeddings = self.embed_episodes(images, training=training)
        logits = self.episode_logits(support, queries, training=training)
        targets = self.query_targets(ops.shape(images)[0])
        ce = ops.mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
        ldr = self.ldr_loss(labels, embeddings) if self.ldr != "none" and training else ops.zeros(())
        loss = ce + self.ldr_weight * ldr + (self.regulariser(support, queries, training) if training else 0.0)
        return loss, ce, ldr, targets, logits

    @property
    def metrics(self):
        return [self.loss_tracker, self.ce_tracker, self.ldr_tracker, self.accuracy_tracker]

    def _track(self, loss, ce, ldr, targets, logits):
        self.loss_tracker.update_state(loss)
        self.ce_tracker.update_state(ce)
        self.ldr_tracker.update_state(ldr)
        self.accuracy_tracker.update_state(targets, logits)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        import tensorflow as tf

        images, labels = data
        with tf.GradientTape() as tape:
            loss, ce, ldr, targets, logits = self.episode_losses(images, labels, training=True)
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self._track(loss, ce, ldr, targets, logits)

    def test_step(self, data):
        images, labels = data
        return self._track(*self.episode_losses(images, labels, training=False))

    def with_layout(self, ways, shots, queries):
        """Use episodes of another layout from now on (evaluation at another shot count)."""
        self.layout = EpisodeLayout(int(ways), int(shots), int(queries))
        self.predict_function = self.test_function = self.train_function = None
        return self

    def get_config(self):
        return {**super().get_config(), "backbone": keras.saving.serialize_keras_object(self.backbone),
                "ways": self.layout.ways, "shots": self.layout.shots, "queries": self.layout.queries,
                "temperature": self.temperature, "ldr": self.ldr, "ldr_weight": self.ldr_weight,
                "coarse_groups": self.coarse_groups, "ldr_set": self.ldr_set}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)

