"""JPEG encoder, decoder and codec as Keras layers (seed 000, sections 2.3.1-2.3.2, fig. 2.4).

Encoder (section 2.3.1 pre-processing + the compression layer of 2.3.2): level shift and
RGB -> YCbCr, 8-bit sample rounding, 4:2:0 chroma subsampling with libjpeg's edge padding,
8x8 block DCT, quantization with the trainable kernels. Decoder (dequantization +
reconstruction layer of 2.3.2): dequantize with the same kernels, IDCT, bilinear chroma
upsampling, YCbCr -> RGB, crop to the input size.

The sample roundings a real codec performs (8-bit YCbCr and downsampled samples before the
DCT; 8-bit IDCT output and pixels after it) are modelled with straight-through gradients
when ``round_samples`` is true, so the quantized coefficients agree with those libjpeg
writes for the same image and tables.

On TensorFlow each layer runs as one XLA computation (``jit_compile=True``, the default),
whether it is called eagerly, inside a ``tf.function`` or inside a model: the stages are
many small element-wise steps that XLA fuses, which runs them about three times as fast on
a CPU. ``jit_compile=False`` runs them op by op.
"""
import keras
from keras import ops

from keras_taskadapt.jpeg.color import ColorTransform, clip_samples, round_color_samples
from keras_taskadapt.jpeg.dct import block_dct, block_idct
from keras_taskadapt.jpeg.quantization import COMPONENTS, QuantizationKernels
from keras_taskadapt.jpeg.rounding import round_half_up
from keras_taskadapt.jpeg.subsampling import static_image_size, subsample_420, upsample_420


class JpegStages(keras.layers.Layer):
    """The shared stages of :class:`JpegEncoder`, :class:`JpegDecoder` and :class:`JpegCodec`.

    Args:
        initial_tables: ``None`` (kernels of ones, section 2.3.5), a quality 1..100
            (standard tables, section 2.4.1) or a (3, 8, 8) array of tables.
        scale: the constant S of section 2.3.1 (tables are S / q).
        learn_color: train the colour coefficients under the constraints of 2.4.3.
        round_samples: model the codec's 8-bit sample roundings (straight-through).
        rate_penalty: regularizer on the kernels, e.g. :class:`QuantizationRate`.
        jit_compile: on TensorFlow, run the layer as one XLA computation.
    """

    def __init__(self, initial_tables=None, scale=1.0, learn_color=False, round_samples=True, rate_penalty=None,
                 jit_compile=True, **kwargs):
        super().__init__(**kwargs)
        self.round_samples = bool(round_samples)
        self.jit_compile = bool(jit_compile)
        self._xla_transform = None
        self.color = ColorTransform(learn_coefficients=learn_color, name="color")
        self.quantization = QuantizationKernels(initial_tables, scale, rate_penalty, name="quantization")
        self.built = True

    def call(self, inputs):
        if not (self.jit_compile and keras.backend.backend() == "tensorflow"):
            return self.transform(inputs)
        if self._xla_transform is None:
            import tensorflow as tf

            self._xla_transform = tf.function(self.transform, jit_compile=True, autograph=False)
        return self._xla_transform(inputs)

    def transform(self, inputs):
        """What the layer computes; each of the three layers composes the stages its way."""
        raise NotImplementedError

    def encode(self, rgb):
        """RGB (B, H, W, 3) in 0..255 -> quantized coefficient grids per component.

        Returns ``{"y": (B, H16/8, W16/8, 64), "cb": (B, H16/16, W16/16, 64), "cr": ...}``
        where H16, W16 are H, W rounded up to multiples of 16.
        """
        ycbcr = self.color(rgb)
        if self.round_samples:
            ycbcr = round_color_samples(ycbcr)
        luma, chroma = subsample_420(ycbcr, self.round_samples)
        planes = {"y": luma, "cb": chroma[..., :1], "cr": chroma[..., 1:]}
        return {name: self.quantization.quantize_component(block_dct(planes[name]), name) for name in COMPONENTS}

    def decode(self, quantized, image_size=None):
        """Quantized grids -> RGB (B, H, W, 3) in 0..255, cropped to ``image_size`` if given."""
        planes = {name: block_idct(self.quantization.dequantize_component(quantized[name], name)) for name in COMPONENTS}
        if self.round_samples:
            planes = {name: clip_samples(round_half_up(plane)) for name, plane in planes.items()}
        ycbcr = upsample_420(planes["y"], ops.concatenate([planes["cb"], planes["cr"]], axis=-1))
        rgb = self.color.inverse(ycbcr)
        if image_size is not None:
            rgb = rgb[:, : image_size[0], : image_size[1]]
        rgb = ops.clip(rgb, 0.0, 255.0)
        return round_half_up(rgb) if self.round_samples else rgb

    def get_config(self):
        quantization = self.quantization.get_config()
        return {
            **super().get_config(),
            "initial_tables": quantization["initial_tables"],
            "scale": quantization["scale"],
            "learn_color": self.color.learn_coefficients,
            "round_samples": self.round_samples,
            "rate_penalty": quantization["rate_penalty"],
            "jit_compile": self.jit_compile,
        }


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class JpegEncoder(JpegStages):
    """RGB in 0..255 -> ``{"y", "cb", "cr"}`` quantized DCT grids (sections 2.3.1-2.3.2).

    The grids feed a DCT-domain classifier directly (section 2.3.4, fig. 2.6).
    """

    def transform(self, rgb):
        return self.encode(rgb)


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class JpegDecoder(JpegStages):
    """``{"y", "cb", "cr"}`` quantized DCT grids -> RGB in 0..255 (section 2.3.2).

    A decoder holds its own copy of the tables, as a real decoder reads them from the file;
    set them with ``decoder.quantization.set_qtables(tables)``.

    Args:
        image_size: (height, width) to crop the reconstruction to; ``None`` keeps the
            MCU-padded size.
    """

    def __init__(self, image_size=None, **kwargs):
        super().__init__(**kwargs)
        self.image_size = None if image_size is None else tuple(int(side) for side in image_size)

    def transform(self, quantized):
        return self.decode(quantized, self.image_size)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size}


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class JpegCodec(JpegStages):
    """Encoder and decoder sharing one set of kernels, in front of a classifier (fig. 2.4).

    RGB (B, H, W, 3) in 0..255 -> reconstructed RGB of the same size, float 0..255.
    """

    def transform(self, rgb):
        return self.decode(self.encode(rgb), static_image_size(rgb))
