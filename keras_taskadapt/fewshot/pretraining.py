"""Pre-training of the backbone as a classifier of the base classes, as FEAT does (``pretrain.py``).

Before episodic training FEAT fits the embedding network with a linear soft-max head on all
base classes (64 for miniImageNet and the Tiny ImageNet split) with plain cross-entropy;
episodic training then starts from that backbone. :class:`BaseClassifier` is that model
(``method="pretrain"``); its ``backbone`` is what a later run loads (``--pretrained``), and an
evaluation scores the backbone with ProtoNet's nearest-prototype rule on novel episodes.
"""

import keras

from keras_taskadapt.fewshot.classifier import METHODS


@METHODS.register("pretrain", help="pre-training: the backbone with a soft-max head on all base classes (FEAT)")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class BaseClassifier(keras.Model):
    """``backbone`` followed by a ``num_classes``-way dense head, trained with cross-entropy."""

    def __init__(self, backbone, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.num_classes = int(num_classes)
        self.head = keras.layers.Dense(self.num_classes, name="base_classes")
        self.head.build(backbone.output.shape)

    def build(self, input_shape):
        """Nothing to create: every part is built when the model is made (a reloaded model too)."""
        self.built = True

    def call(self, images, training=False):
        return self.head(self.backbone(images, training=training))

    def get_config(self):
        return {**super().get_config(), "backbone": keras.saving.serialize_keras_object(self.backbone),
                "num_classes": self.num_classes}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)
