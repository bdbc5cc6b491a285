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
from keras_taskadapt.jpeg.jcc_config import model_image_shape

#: The JCC sensor's value conventions (its report's ``contract``, beside the signature's tensors).
SENSOR_CONTRACT = {
    "input": "pixels: float32 RGB images, values 0..255 as they are (no shift, no scaling)",
    "outputs": "int32 quantized DCT coefficients per component, (N, block rows, block columns, 64) in natural "
               "row-major order within a block: 'y' (luma, full size), 'cb' and 'cr' (4:2:0, half size). Read "
               "them by name: the signature lists them in its own order (signature_outputs), not y, cb, cr",
}


def jcc_sensor_model(jcc, image_shape=None):
    """The sensor ``keras.Model``: RGB 0..255 ``pixels`` -> int32 ``{"y", "cb", "cr"}`` grids.

    Args:
        jcc: a trained :class:`~keras_taskadapt.jpeg.JointCompressionClassifier`.
        image_shape: (H, W, 3) of its input; by default read from the classifier.
    """
    import keras

    from keras_taskadapt.jpeg import JpegEncoder

    shape = tuple(image_shape) if image_shape is not None else model_image_shape(jcc.classifier)
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
                         kind="tflite-jcc-sensor", contract=SENSOR_CONTRACT)

