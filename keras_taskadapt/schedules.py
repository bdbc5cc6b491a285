"""Learning-rate schedules the training runs share."""


def cosine_decay(rate, total_steps):
    """``rate`` cosine-decayed to 0 over ``total_steps`` optimizer steps (the constant ``rate``
    when the number of steps is not known)."""
    import keras

    if not total_steps:
        return rate
    return keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps)
