"""The deployed split auto-encoder as one codec object (seed 000 figure 3.3, eq. (3.8), section 3.4.1).

:class:`SplitCodec` owns everything between the sensor's encoder and the server's decoder, the
way tensorflow-compression's entropy models own quantize, compress and decompress: the
quantization steps ``q`` (the trained quantizer's, or the entropy-scaled ``q_i = s H(y_i)``
of eq. (3.8)), the range coder's per-entry models fitted on training symbols, the per-image
bit streams (:mod:`~keras_taskadapt.hierarchical.latent.bitstream`), and the Keras sensor and
server models a deployment exports.

A typical workflow::

    codec = SplitCodec.of_model(model)                 # the trained quantizer's steps
    codec.fit(train_latents)                           # the coder's models, on round(y / q)
    streams = codec.compress(test_latents)             # one byte string per image
    symbols = codec.decompress(streams)                # what the server decodes
    probabilities = codec.classify(symbols)            # decoder(q * symbols)
    codec.rate(test_latents, test_labels, 32 * 32)     # accuracy and bits, through real streams
    codec.save("entropy_coder.npz"); SplitCodec.load("entropy_coder.npz", decoder=model.decoder)
    sensor, server = codec.sensor_model(), codec.server_model()
"""

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.latent.bitstream import decode_image_stream, encode_image_stream, stream_bits
from keras_taskadapt.hierarchical.latent.entropy import entropy_scaled_steps, entry_entropies, total_entropy_bits
from keras_taskadapt.hierarchical.latent.entropy_coder import LatentEntropyCoder, bits_of_stream
from keras_taskadapt.hierarchical.latent.quantizer import quantize_latent


class BitExactnessError(RuntimeError):
    """The entropy decoder did not give back the encoded symbols (a coder defect)."""


def latent_symbols(latents, step_sizes):
    """``round(y / q)`` as the deployed :class:`~keras_taskadapt.hierarchical.latent.LatentQuantizer`
    computes it (int64)."""
    import keras

    latents = keras.ops.convert_to_tensor(np.asarray(latents, np.float32))
    steps = keras.ops.convert_to_tensor(np.asarray(step_sizes, np.float32))
    return keras.ops.convert_to_numpy(quantize_latent(latents, steps)).astype(np.int64)


class SplitCodec:
    """Steps, coder and streams of one deployed split auto-encoder (module docstring).

    Args:
        step_sizes: ``(dy,)`` quantization steps ``q``.
        coder: the fitted :class:`LatentEntropyCoder` (``None`` until :meth:`fit`).
        encoder, decoder: the sensor's and the server's Keras models (needed by
            :meth:`sensor_model`, and by :meth:`classify`, :meth:`rate` and :meth:`server_model`).
    """

    def __init__(self, step_sizes, coder=None, encoder=None, decoder=None):
        self.step_sizes = np.asarray(step_sizes, np.float32).reshape(-1)
        self.coder = coder
        self.encoder = encoder
        self.decoder = decoder

    @classmethod
    def of_model(cls, model, step_sizes=None):
        """The codec of a trained split model (encoder, quantizer, decoder) at ``step_sizes``
        (default: its quantizer's)."""
        parts = tuple(getattr(model, name, None) for name in ("encoder", "decoder", "quantizer"))
        if any(part is None for part in parts):
            raise TaskAdaptError(f"model {getattr(model, 'name', model)!r} is not a split auto-encoder "
                                 f"(it needs an encoder, a latent quantizer and a decoder)", parameter="model")
        encoder, decoder, quantizer = parts
        steps = np.asarray(quantizer.step_sizes) if step_sizes is None else step_sizes
        return cls(steps, encoder=encoder, decoder=decoder)

    def with_scale(self, scale, train_latents, entropy_model="histogram"):
        """A codec with the entropy-scaled steps ``q_i = s H(y_i)`` of eq. (3.8) (``H`` on
        ``train_latents``), fitted on them."""
        steps = entropy_scaled_steps(entry_entropies(train_latents), scale)
        return SplitCodec(steps, encoder=self.encoder, decoder=self.decoder).fit(train_latents, entropy_model)

    @property
    def latent_dim(self):
        return self.step_sizes.size

    def symbols(self, latents):
        """The transmitted symbols ``round(y / q)`` of ``latents`` (N, dy), int64."""
        return latent_symbols(latents, self.step_sizes)

    def fit(self, train_latents, entropy_model="histogram"):
        """Fit the coder's per-entry models on the training symbols; returns ``self``."""
        self.coder = LatentEntropyCoder.fit(self.symbols(train_latents), entropy_model)
        return self

    def fit_symbols(self, train_symbols, entropy_model="histogram"):
        """Fit the coder on symbols a sensor sent (e.g. a TFLite sensor's); returns ``self``."""
        self.coder = LatentEntropyCoder.fit(train_symbols, entropy_model)
        return self

    def _fitted(self):
        if self.coder is None:
            raise TaskAdaptError("the codec has no entropy models yet; fit it on training latents first")
        return self.coder

    def compress_symbols(self, symbols):
        """One stream per image of integer ``symbols`` (N, dy)."""
        coder = self._fitted()
        return [encode_image_stream(coder, row) for row in np.asarray(symbols)]

    def compress(self, latents):
        """One stream per image of ``latents`` (N, dy)."""
        return self.compress_symbols(self.symbols(latents))

    def decompress(self, streams):
        """The ``(N, dy)`` int64 symbols of per-image ``streams``."""
        coder = self._fitted()
        return np.stack([decode_image_stream(coder, stream) for stream in streams])

    def dequantize(self, symbols):
        """What the server's decoder reads: ``q * symbols`` (float32)."""
        return np.asarray(symbols, np.float32) * self.step_sizes

    def classify(self, symbols, batch_size=256):
        """Class probabilities of received ``symbols``: ``decoder(q * symbols)``."""
        if self.decoder is None:
            raise TaskAdaptError("the codec has no decoder to classify with")
        return self.decoder.predict(self.dequantize(symbols), batch_size=batch_size, verbose=0)

    def stream_rate(self, symbols, image_pixels):
        """The bits of ``symbols`` (N, dy) as per-image streams, checked by decoding them back.

        ``bits_per_image``: mean size of the per-image streams, header included (what a camera
        sending one image at a time pays); ``amortised_bits_per_image``: one stream of all N
        images over N; ``ideal_bits_per_image``: their information content under the models;
        ``bpp``: ``bits_per_image`` over the ``image_pixels`` (H x W) of the original image.
        """
        coder = self._fitted()
        symbols = np.asarray(symbols, np.int64)
        streams = self.compress_symbols(symbols)
        received = self.decompress(streams)
        if not np.array_equal(received, symbols):
            raise BitExactnessError("the decoded latent symbols differ from the encoded ones")
        images = symbols.shape[0]
        bits = float(np.mean([stream_bits(stream) for stream in streams]))
        return {
            "bits_per_image": bits,
            "amortised_bits_per_image": bits_of_stream(coder.encode(symbols)) / images,
            "ideal_bits_per_image": coder.information_content(symbols) / images,
            "bpp": bits / image_pixels,
            "images": images,
        }, received

    def rate(self, test_latents, test_labels, image_pixels):
        """Accuracy, total entropy and bits of ``test_latents`` through the real per-image streams:
        :meth:`stream_rate`'s keys, ``accuracy`` of the decoded symbols, and
        ``total_entropy_bits`` (the Gaussian total entropy of section 3.4.2)."""
        rate, received = self.stream_rate(self.symbols(test_latents), image_pixels)
        predicted = np.argmax(self.classify(received), axis=-1)
        return {
            "accuracy": float(np.mean(predicted == np.asarray(test_labels).reshape(-1))),
            "total_entropy_bits": total_entropy_bits(test_latents, self.step_sizes),
            **{key: value for key, value in rate.items() if key != "images"},
        }

    def sensor_model(self, name="sensor"):
        """Pixels -> int32 symbols ``round(encoder(x) / q)`` (eq. (3.8)), a Keras functional model."""
        import keras

        if self.encoder is None:
            raise TaskAdaptError("the codec has no encoder for a sensor model")
        pixels = keras.Input(tuple(self.encoder.input.shape[1:]), name="pixels")
        symbols = quantize_latent(self.encoder(pixels), self.step_sizes)
        return keras.Model(pixels, keras.ops.cast(symbols, "int32"), name=name)

    def server_model(self, name="server"):
        """Symbols (float32 integers) -> ``decoder(q * symbols)``, the class probabilities."""
        import keras

        if self.decoder is None:
            raise TaskAdaptError("the codec has no decoder for a server model")
        symbols = keras.Input((self.latent_dim,), name="symbols")
        return keras.Model(symbols, self.decoder(symbols * self.step_sizes), name=name)

    def save(self, path):
        """The steps and the coder's models as one ``.npz`` file (``entropy_coder.npz``)."""
        self._fitted().save(path, step_sizes=self.step_sizes)

    @classmethod
    def load(cls, path, encoder=None, decoder=None):
        """A codec saved by :meth:`save`."""
        coder, steps = LatentEntropyCoder.load_with_steps(path)
        if steps is None:
            raise TaskAdaptError(f"{path}: holds no quantization steps (not written by SplitCodec.save)")
        return cls(steps, coder, encoder=encoder, decoder=decoder)


def decode_streams(streams, codec_path):
    """The server side: received per-image ``streams`` -> ``(N, dy)`` symbols and ``q * symbols``,
    the decoder's input, with the codec saved at ``codec_path`` (``entropy_coder.npz``)."""
    codec = SplitCodec.load(codec_path)
    symbols = codec.decompress(streams)
    return symbols, codec.dequantize(symbols)
