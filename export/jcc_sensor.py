"""The JCC sensor model: images -> quantized DCT coefficients with the learned tables.

An alternative to libjpeg on the device (issue 6, "Split"): the encoder half of a trained JCC
model (seed 000, sections 2.3.1-2.3.2: level shift and colour transform with the learned
coefficients, libjpeg's 8-bit sample roundings, 4:2:0 subsampling, 8x8 block DCT,
quantization with the learned kernels) as a stand-alone model whose outputs are the integer
coefficient grids ``{"y", "cb", "cr"}`` (int32) that the entropy coder takes. The
straight-through roundings are identities in the backward pass only; forward they are
``floor``, ``sign`` and ``abs``, which TFLite has as builtins, so the float ``.tflite`` needs no
TensorFlow (Flex) ops.
"""

from export.tflite import export_tflite
from keras_taskadapt.core.errors import TaskAdaptError

#: Coefficients per 8x8 block in a grid.
BLOCK_COEFFICIENTS = 64


def sensor_image_shape(classifier):
    """(H, W, 3) of the images a JCC model takes, read from its classifier's input.

    A pixel classifier gives it directly; a DCT-domain classifier gives 8 x its luma grid,
    i.e. the MCU-padded size (images of that size encode to the same grids).
    """
    for tensor in classifier.inputs:
        shape = tuple(tensor.shape[1:])
        if None in shape:
            continue
        if shape[-1] == 3:
            return shape
        if shape[-1] == BLOCK_COEFFICIENTS and tensor.name == "y":
            return (8 * shape[0], 8 * shape[1], 3)
    raise TaskAdaptError("the JCC classifier does not fix the image size; give the sensor's image size",
                         parameter="image_size")


def jcc_sensor_model(jcc, image_shape=None):
    """The sensor ``keras.Model``: RGB 0..255 ``pixels`` -> int32 ``{"y", "cb", "cr"}`` grids.

    Args:
        jcc: a trained :class:`~keras_taskadapt.jpeg.JointCompressionClassifier`.
        image_shape: (H, W, 3) of its input; by default read from the classifier.
    """
    import keras

    from keras_taskadapt.jpeg import JpegEncoder

    shape = tuple(image_shape) if image_shape is not None else sensor_image_shape(jcc.classifier)
    encoder = JpegEncoder.from_config({**jcc.codec.get_config(), "rate_penalty": None, "name": "sensor_jpeg"})
    encoder.set_weights(jcc.codec.get_weights())  # the learned colour coefficients and kernels
    pixels = keras.Input(shape=shape, name="pixels")
    grids = {name: keras.ops.cast(grid, "int32") for name, grid in encoder(pixels).items()}
    return keras.Model(pixels, grids, name="jcc_sensor")


def export_jcc_sensor(jcc, path, *, image_shape=None, batch=None, force=False):
    """The float ``.tflite`` sensor of ``jcc`` at ``path``, checked with LiteRT and reported.

    The report's ``identical_fraction`` is the share of coefficients equal to the Keras
    encoder's on ``batch`` (default: random pixels).
    """
    return export_tflite(jcc_sensor_model(jcc, image_shape), path, mode="float", batch=batch, force=force,
                         kind="tflite-jcc-sensor")
