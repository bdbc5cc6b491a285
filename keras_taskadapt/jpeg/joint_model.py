"""Joint compression and classification (JCC): JPEG layers in front of a classifier,
trained alternately (seed 000, sections 2.3.2 and 2.3.5, figures 2.4-2.5).

The loss is L = L_CLA + lambda L_Quan (section 2.3.2): the classifier's cross-entropy and
weight regularisation, plus the rate surrogate that the compression kernels carry as their
regularizer (:class:`~keras_taskadapt.jpeg.rate.QuantizationRate`). Training alternates: the
classifier trains for ``classifier_epochs`` epochs while the JPEG layers are frozen, then the
colour transform and compression kernels train for ``jpeg_epochs`` epochs while the
classifier is frozen (the seed uses 2 and 1), each group with its own optimizer and
learning-rate schedule. With ``train_jpeg=False`` the tables stay at their initial values (a
standard quality) and only the classifier trains: the JPEG baseline of section 2.4.1.
"""

import keras
import tensorflow as tf

from keras_taskadapt.phases import PhaseScheduledModel


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class JointCompressionClassifier(PhaseScheduledModel):
    """``classifier(codec(images))`` with a custom ``train_step`` that trains one group at a time.

    Args:
        codec: a :class:`~keras_taskadapt.jpeg.JpegCodec` (RGB 0..255 in, reconstructed RGB out).
        classifier: a ``keras.Model`` on reconstructed RGB 0..255 images.
        classifier_epochs, jpeg_epochs: the alternation (section 2.3.5: 2 and 1).
        train_jpeg: ``False`` for the JPEG baseline (fixed tables, classifier only).

    ``compile(optimizer=..., jpeg_optimizer=..., ...)`` takes the second optimizer; the phase
    of each epoch is set by :class:`~keras_taskadapt.phases.PhaseSchedule`, which ``fit``
    callers add.
    """

    PHASES = ("classifier", "jpeg")
    OPTIMIZERS = ("optimizer", "jpeg_optimizer")

    def __init__(self, codec, classifier, classifier_epochs=2, jpeg_epochs=1, train_jpeg=True, **kwargs):
        self.classifier_epochs = int(classifier_epochs)
        self.jpeg_epochs = int(jpeg_epochs)
        self.train_jpeg = bool(train_jpeg)
        super().__init__(**kwargs)
        self.codec = codec
        self.classifier = classifier

    def call(self, images, training=False):
        coded = self.codec(images, training=False)  # reconstructed RGB, or DCT grids for a DCT-domain classifier
        return self.classifier(coded, training=training and self.phase == "classifier")

    def phase_of_epoch(self, epoch):
        """``classifier`` or ``jpeg``: which group trains in (0-based) ``epoch``."""
        if not self.train_jpeg:
            return "classifier"
        cycle = self.classifier_epochs + self.jpeg_epochs
        return "classifier" if epoch % cycle < self.classifier_epochs else "jpeg"

    def optimizer_variables(self, name):
        """The classifier's variables for ``optimizer``, the codec's for ``jpeg_optimizer``."""
        part = self.classifier if name == "optimizer" else self.codec
        return part.trainable_variables if part.built else []

    def set_phase(self, phase):
        if phase == "jpeg" and self.jpeg_optimizer is None:
            raise ValueError("the JPEG phase needs compile(jpeg_optimizer=...)")
        super().set_phase(phase)

    def _trained_group(self):
        if self.phase == "classifier":
            return self.classifier.trainable_variables, self.optimizer
        return self.codec.trainable_variables, self.jpeg_optimizer

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        variables, optimizer = self._trained_group()
        if self.phase == "classifier":  # frozen codec: run it outside the tape, nothing to differentiate
            coded = tf.nest.map_structure(tf.stop_gradient, self.codec(x, training=False))
        with tf.GradientTape() as tape:
            if self.phase == "jpeg":
                coded = self.codec(x, training=False)
            y_pred = self.classifier(coded, training=self.phase == "classifier")
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            replicas = tf.distribute.get_strategy().num_replicas_in_sync  # Keras scales per replica
            self._loss_tracker.update_state(loss * replicas, sample_weight=tf.shape(x)[0])
            loss = optimizer.scale_loss(loss)
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def get_config(self):
        return {
            **super().get_config(),
            "codec": keras.saving.serialize_keras_object(self.codec),
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "classifier_epochs": self.classifier_epochs,
            "jpeg_epochs": self.jpeg_epochs,
            "train_jpeg": self.train_jpeg,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["codec"] = keras.saving.deserialize_keras_object(config["codec"])
        config["classifier"] = keras.saving.deserialize_keras_object(config["classifier"])
        return cls(**config)
