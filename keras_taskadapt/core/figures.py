"""PNG figures, staged and renamed like every other file (:mod:`keras_taskadapt.core.files`)."""

from keras_taskadapt.core.files import atomic_path


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg back-end (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path, dpi=100):
    """Write a matplotlib figure as PNG (staged, renamed when complete) and close it."""
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi)
    pyplot().close(figure)
    return path
