"""Rounding with a straight-through gradient (seed 000, section 2.3.2 and 2.3.3).

Section 2.3.2 replaces the derivative of ``round`` by that of the identity
(d[z]/dz := dz/dz, after [69]); section 2.3.3 keeps the exact rounding in the forward pass
and sets its gradient to 1. Every rounding here does exactly that: the forward value is the
rounded one, the backward pass sees the identity.

Each function reproduces one rounding convention of libjpeg, so that the layers compute the
same integers a real encoder stores.
"""
from keras import ops


def straight_through(x, forward):
    """``forward`` in the forward pass, the identity of ``x`` in the backward pass."""
    return x + ops.stop_gradient(forward - x)


def round_half_up(x):
    """floor(x + 1/2): libjpeg's ``DESCALE`` rounding (IDCT output, decoded pixels)."""
    return straight_through(x, ops.floor(x + 0.5))


def round_half_away_from_zero(x):
    """sign(x) floor(|x| + 1/2): the rounding of libjpeg's quantizer (``jcdctmgr.c``)."""
    return straight_through(x, ops.sign(x) * ops.floor(ops.abs(x) + 0.5))


def floor_to_integer(x):
    """floor(x): libjpeg's ``>> n`` descaling after a bias was added (``jccolor.c``,
    ``jcsample.c``)."""
    return straight_through(x, ops.floor(x))
