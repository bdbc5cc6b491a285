"""The per-image bit stream a sensor sends and the server decodes (seed 000 section 3.4.1).

A camera sends one image at a time, so every image's latent symbols are one stream of their
own. Format, version 1 (:data:`FORMAT_VERSION`):

==========  ================================================================================
byte 0      the format version (1)
bytes 1..   the image's ``dy`` symbols range-coded with the per-entry models of a
            :class:`~keras_taskadapt.hierarchical.latent.LatentEntropyCoder` (entry 0 first;
            escaped values after the last entry, as in
            :meth:`~keras_taskadapt.hierarchical.latent.LatentEntropyCoder.encode`), as the
            coder's 32-bit words in little-endian byte order, with trailing zero bytes dropped
==========  ================================================================================

The stream carries no length: the transport frames it (one packet or message per image), and
the decoder pads the dropped zero bytes back. Decoding needs the coder (its models fix ``dy``
and every entry's alphabet), shipped beside the server as ``entropy_coder.npz``. A stream's
size in bits, header included, is what ``bits_per_image`` reports.
"""

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError

FORMAT_VERSION = 1
HEADER_BYTES = 1


def encode_image_stream(coder, symbols):
    """The stream (bytes) of one image's integer latent ``symbols`` (``dy`` values)."""
    words = coder.encode(np.asarray(symbols).reshape(1, -1))
    payload = np.asarray(words, dtype="<u4").tobytes().rstrip(b"\0")
    return bytes([FORMAT_VERSION]) + payload


def decode_image_stream(coder, stream):
    """The ``(dy,)`` int64 symbols of a stream written by :func:`encode_image_stream`."""
    stream = bytes(stream)
    if len(stream) < HEADER_BYTES or stream[0] != FORMAT_VERSION:
        version = stream[0] if stream else None
        raise TaskAdaptError(f"not a latent stream of format version {FORMAT_VERSION}. Received: version={version}")
    payload = stream[HEADER_BYTES:]
    payload += b"\0" * (-len(payload) % 4)
    words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
    return coder.decode(words, 1)[0]


def stream_bits(stream):
    """Size in bits of a stream, header included."""
    return 8 * len(stream)
