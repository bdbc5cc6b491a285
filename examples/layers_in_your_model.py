"""The package's layers and losses inside your own Keras model (the Python API, no CLI).

* ``JpegCodec`` (seed 000 section 2.3): JPEG encoding and decoding as differentiable layers
  with trainable quantization tables, in front of a ``keras.applications`` network; the
  ``QuantizationRate`` regulariser (the L_Quan surrogate of eq. 2.3) pulls the tables toward
  fewer bits while the classification loss pulls them toward what the classifier needs.
* ``CodingRateReduction`` (seed 000 eqs. 3.1-3.3, MCR^2): a loss on an embedding that expands
  the whole batch's codes and compresses each class's, beside the usual cross-entropy.

    python examples/layers_in_your_model.py [--smoke] [--weights mobilenet_v2.weights.h5]

Here the tables and the network train together with one optimizer; the seed's alternation
(classifier epochs, then table epochs) is ``keras_taskadapt.jpeg.JointCompressionClassifier``.
"""

import argparse
from pathlib import Path

import keras
import numpy as np

from keras_taskadapt.data import load_dataset
from keras_taskadapt.jpeg import JpegCodec, QuantizationRate
from keras_taskadapt.losses import CodingRateReduction

CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "cifar10-jpeg-q75"


def build_model(weights=None, classes=10, embedding_dim=64):
    """RGB 0..255 -> JPEG layers -> MobileNetV2 -> {embedding, logits}."""
    images = keras.Input((32, 32, 3), name="images")
    # scale S = 10 (section 2.3.1): the kernels are 10 / Q, about 0.1..1, a size Adam's steps suit.
    codec = JpegCodec(initial_tables=50, scale=10.0, rate_penalty=QuantizationRate(1e-3), name="jpeg")
    decoded = codec(images)  # what the classifier would see after a real JPEG round trip
    backbone = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, include_top=False,
                                              weights=weights, pooling="avg")
    for layer in backbone.layers:  # a short run: let the statistics inference uses follow the batches
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    features = backbone(keras.layers.Rescaling(1 / 127.5, offset=-1.0)(decoded))  # MobileNetV2's [-1, 1]
    embedding = keras.layers.Dense(embedding_dim, name="embedding")(features)
    logits = keras.layers.Dense(classes, name="logits")(features)
    return keras.Model(images, {"embedding": embedding, "logits": logits}), codec


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default=f"tfrecord:{CIFAR}/*.tfrecord")
    parser.add_argument("--weights", default=None, help="MobileNetV2 (alpha 0.35) weights file; default: random")
    parser.add_argument("--steps", type=int, default=300, help="training steps")
    parser.add_argument("--smoke", action="store_true", help="three steps (CI)")
    args = parser.parse_args()
    steps = 3 if args.smoke else args.steps
    keras.utils.set_random_seed(0)

    # Any (images, labels) pipeline works; the package's reads folders, TFRecords and tfds names.
    train = load_dataset(args.dataset, "train", batch_size=64, repeat=True, seed=0).map(
        lambda images, labels: (keras.ops.cast(images, "float32"), {"embedding": labels, "logits": labels}))
    test_images, test_labels = next(iter(load_dataset(args.dataset, "test", batch_size=500)))

    model, codec = build_model(args.weights)
    mcr2 = CodingRateReduction(num_classes=10)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss={"logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "embedding": mcr2},
                  loss_weights={"logits": 1.0, "embedding": 0.1},
                  metrics={"logits": ["accuracy"]})
    tables_before = codec.quantization.qtables()
    rates_before = [float(rate) for rate in mcr2.rates(test_labels, model.predict(test_images, verbose=0)["embedding"])]
    model.fit(train, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=2)  # the pipeline shuffles

    outputs = model.predict(test_images, verbose=0)
    rates_after = [float(rate) for rate in mcr2.rates(test_labels, outputs["embedding"])]
    accuracy = np.mean(np.argmax(outputs["logits"], axis=-1) == test_labels.numpy())
    moved = np.abs(codec.quantization.qtables() - tables_before)
    print(f"accuracy on 500 test images: {accuracy:.3f} after {steps} steps")
    print(f"coding rates of the embedding, R (whole batch) and Rc (within classes): "
          f"{rates_before[0]:.2f}, {rates_before[1]:.2f} before; {rates_after[0]:.2f}, {rates_after[1]:.2f} after")
    print(f"quantization tables moved by {moved.mean():.3f} on average (largest {moved.max():.2f}) "
          f"from the q50 tables; luma table now:\n{np.rint(codec.quantization.qtables()[0]).astype(int)}")


if __name__ == "__main__":
    main()
