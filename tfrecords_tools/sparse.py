"""Sparse tensors stored as value + position (seed 004, section 4.1.1, Algorithm 3).

Bottleneck activations after a ReLU are mostly zeros (table 4.1 of seed 004: 53-90%), so a
record keeps only the non-zero values and their flat positions, plus the dense shape.
Algorithm 3 as printed stops one element early (``while counter != n`` with ``n = size - 1``);
this implementation covers every element.
"""

import numpy as np


def to_value_position(array):
    """Return ``(values, positions, shape)`` of the non-zero entries of ``array``.

    ``positions`` index the flattened array in C order, ascending.
    """
    array = np.asarray(array)
    flat = array.reshape(-1)
    positions = np.flatnonzero(flat).astype(np.int64)
    return flat[positions], positions, tuple(int(s) for s in array.shape)


def from_value_position(values, positions, shape, dtype=None):
    """Rebuild the dense array from :func:`to_value_position`'s output."""
    values = np.asarray(values)
    dense = np.zeros(int(np.prod(shape)), dtype=dtype or values.dtype)
    dense[np.asarray(positions, dtype=np.int64)] = values
    return dense.reshape(shape)
