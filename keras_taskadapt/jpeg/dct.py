"""8x8 block DCT and IDCT as batched matrix products (seed 000, section 2.2.1).

With the orthonormal DCT matrix D, D(1, n) = N^-1/2 and D(m+1, n+1) = sqrt(2/N)
cos((2n+1) m pi / 2N) for m > 0, the 2-D DCT of a block I is F = D I D^T and the IDCT is
I = D^T F D. This orthonormal DCT-II is exactly JPEG's FDCT (ITU-T T.81 A.3.3).

DCT-domain layout (section 2.3.1): each 8x8 coefficient block becomes a 64-vector in
natural row-major order (index 8 m + n; m the vertical, n the horizontal frequency), so a
plane of H x W samples becomes an (H/8, W/8, 64) grid.
"""
import numpy as np
from keras import ops

from keras_taskadapt.jpeg.subsampling import static_image_size

#: Side of a DCT block.
BLOCK = 8


def dct_matrix(size=BLOCK):
    """The orthonormal DCT-II matrix D of section 2.2.1, shape (size, size)."""
    m = np.arange(size)[:, None]
    n = np.arange(size)[None, :]
    matrix = np.sqrt(2.0 / size) * np.cos((2 * n + 1) * m * np.pi / (2 * size))
    matrix[0] = 1.0 / np.sqrt(size)
    return matrix


def block_transform_matrix():
    """kron(D, D), shape (64, 64): vec(D I D^T) = kron(D, D) vec(I) for row-major vec."""
    d = dct_matrix()
    return np.kron(d, d)


def block_dct(plane):
    """F = D I D^T for every 8x8 block of a (B, H, W, 1) plane -> (B, H/8, W/8, 64).

    Computed as one batched product of the row-major block vectors with kron(D, D)^T.
    """
    rows, cols = static_image_size(plane)
    blocks = ops.reshape(plane, (-1, rows // BLOCK, BLOCK, cols // BLOCK, BLOCK))
    vectors = ops.reshape(ops.transpose(blocks, (0, 1, 3, 2, 4)), (-1, rows // BLOCK, cols // BLOCK, BLOCK * BLOCK))
    transform = ops.convert_to_tensor(block_transform_matrix().T, dtype=vectors.dtype)
    return ops.matmul(vectors, transform)


def block_idct(coefficients):
    """I = D^T F D for every block of a (B, h, w, 64) grid -> (B, 8h, 8w, 1) plane."""
    rows, cols = static_image_size(coefficients)
    transform = ops.convert_to_tensor(block_transform_matrix(), dtype=coefficients.dtype)
    blocks = ops.reshape(ops.matmul(coefficients, transform), (-1, rows, cols, BLOCK, BLOCK))
    return ops.reshape(ops.transpose(blocks, (0, 1, 3, 2, 4)), (-1, rows * BLOCK, cols * BLOCK, 1))
