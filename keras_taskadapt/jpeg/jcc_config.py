"""One JCC or baseline run as settings (seed 000 sections 2.3.2-2.3.5, 2.4.1): the model it
builds, its optimizers, the real-file metrics and the learned tables it writes.

:class:`JccConfig` holds the settings ``train jcc`` takes; :meth:`JccConfig.build` makes the
:class:`~keras_taskadapt.jpeg.JointCompressionClassifier` (the codec with the rate surrogate
of eq. (2.4) on its kernels in front of the chosen classifier; a DCT-domain classifier gets the
encoder alone) and compiles it with one Adam optimizer per group, cosine-decayed over the run.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.settings import OptionSettings

MODES = ("jcc", "baseline")
#: Classifiers the codec can feed: the shared pixel back-bones and the DCT-domain ResNet (fig. 2.6).
DCT_CLASSIFIER = "dct"


def classifier_names():
    from keras_taskadapt.models import CLASSIFIERS

    return CLASSIFIERS.names() + (DCT_CLASSIFIER,)


@dataclass
class JccConfig(OptionSettings):
    """The settings of one run (their meaning: ``keras-taskadapt train jcc --help``)."""

    mode: str = "jcc"
    quality: Optional[int] = None
    init_quality: int = 50
    lam: float = 1e-2
    lam1: float = 0.0
    c: float = 0.0
    scale: float = 10.0
    classifier_epochs: int = 2
    jpeg_epochs: int = 1
    learn_color: bool = False
    classifier: str = "resnet20"
    depth: Optional[int] = None
    width: float = 1.0
    wrn_k: int = 10
    weight_decay: float = 1e-4
    learning_rate: float = 1e-3
    jpeg_learning_rate: float = 1e-2

    def check(self):
        if self.mode not in MODES:
            raise TaskAdaptError(f"mode must be one of {MODES}. Received: mode={self.mode!r}", parameter="mode")
        if self.mode == "baseline" and self.quality is None:
            raise TaskAdaptError("the baseline mode needs a standard-table quality 1..100. Received: quality=None",
                                 parameter="quality")
        if self.quality is not None and not 1 <= self.quality <= 100:
            raise TaskAdaptError(f"quality must be 1..100. Received: quality={self.quality}", parameter="quality")
        if not 0 <= self.init_quality <= 100:
            raise TaskAdaptError(f"the initial quality must be 0 (kernels of 1) or 1..100. Received: "
                                 f"init_quality={self.init_quality}", parameter="init_quality")
        for name in ("lam", "lam1", "c"):
            if getattr(self, name) < 0:
                raise TaskAdaptError(f"{name} must be >= 0. Received: {name}={getattr(self, name)}", parameter=name)
        if self.scale <= 0:
            raise TaskAdaptError(f"scale must be positive. Received: scale={self.scale}", parameter="scale")

    @property
    def baseline(self):
        return self.mode == "baseline"

    @property
    def initial_tables(self):
        """The tables the kernels start from: the baseline's quality; for JCC ``quality`` if given,
        else the standard tables of ``init_quality`` (0: kernels of 1, section 2.3.5)."""
        if self.baseline or self.quality is not None:
            return self.quality
        return self.init_quality or None

    def build(self, num_classes, input_shape):
        """The codec in front of the classifier, built so a backup can be restored into it."""
        from keras_taskadapt.jpeg.codec import JpegCodec, JpegEncoder
        from keras_taskadapt.jpeg.dct_domain import dct_domain_resnet
        from keras_taskadapt.jpeg.joint_model import JointCompressionClassifier
        from keras_taskadapt.jpeg.rate import QuantizationRate
        from keras_taskadapt.models import build_classifier

        dct = self.classifier == DCT_CLASSIFIER
        codec = (JpegEncoder if dct else JpegCodec)(
            initial_tables=self.initial_tables,
            scale=1.0 if self.baseline else self.scale,
            learn_color=self.learn_color and not self.baseline,
            rate_penalty=None if self.baseline else QuantizationRate(self.lam, self.lam1, self.c),
            name="jpeg",
        )
        if dct:
            classifier = dct_domain_resnet(num_classes, image_size=input_shape[:2], depth=self.depth or 50,
                                           width=self.width, weight_decay=self.weight_decay, name="classifier")
        else:
            classifier = build_classifier(self.classifier, num_classes, input_shape, depth=self.depth, width=self.width,
                                          wrn_k=self.wrn_k, weight_decay=self.weight_decay, model_name="classifier")
        model = JointCompressionClassifier(codec, classifier, self.classifier_epochs, self.jpeg_epochs,
                                           train_jpeg=not self.baseline, name="jcc")
        model(np.zeros((1,) + tuple(input_shape), np.float32))
        return model

    def compile(self, model, total_steps=None):
        """Adam for the classifier and for the JPEG layers, each cosine-decayed over ``total_steps``."""
        import keras

        from keras_taskadapt.schedules import cosine_decay

        model.compile(optimizer=keras.optimizers.Adam(cosine_decay(self.learning_rate, total_steps)),
                      jpeg_optimizer=keras.optimizers.Adam(cosine_decay(self.jpeg_learning_rate, total_steps)),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def run_keys(self):
        """The settings metrics.json repeats."""
        return {"mode": self.mode, "lambda": self.lam, "lambda1": self.lam1, "c": self.c, "quality": self.quality,
                "initial_tables": "kernels of 1" if self.initial_tables is None else f"q{self.initial_tables}",
                "scale": self.scale if not self.baseline else 1.0}


#: Coefficients per 8x8 block in a DCT grid.
BLOCK_COEFFICIENTS = 64


def model_image_shape(classifier):
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
    raise TaskAdaptError("the JCC classifier does not fix the image size; give the image size",
                         parameter="image_size")


def check_input_shape(classifier, data, path):
    """The data must have the images the JCC model at ``path`` takes, where the model fixes them."""
    try:
        shape = model_image_shape(classifier)
    except TaskAdaptError:
        return
    if tuple(shape) != tuple(data.input_shape):
        raise TaskAdaptError(f"{path} takes images of {tuple(shape)}, the data {data.source.name} has "
                             f"{tuple(data.input_shape)}: name the model's data set (or resize the images)",
                             parameter="dataset")


def load_jcc_model(path):
    """The :class:`~keras_taskadapt.jpeg.JointCompressionClassifier` saved at ``path``."""
    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.jpeg.joint_model import JointCompressionClassifier

    return load_model(path, JointCompressionClassifier, "a JCC model (written by train jcc)")


def real_jpeg_metrics(model, test, eval_examples=None):
    """:func:`~keras_taskadapt.jpeg.evaluate_real_jpeg` of the model's classifier with its
    codec's current tables, on the first ``eval_examples`` test images (all by default)."""
    from keras_taskadapt.jpeg.codec import JpegCodec
    from keras_taskadapt.jpeg.real_rate import evaluate_real_jpeg

    batches = test.unbatch().take(eval_examples).batch(256) if eval_examples else test
    domain = "pixels" if isinstance(model.codec, JpegCodec) else "dct"
    return evaluate_real_jpeg(model.classifier, model.codec.quantization.qtables(), batches.as_numpy_iterator(), domain)


def save_learned_tables(model, json_path, png_path, title):
    """The codec's tables, rounded and clipped to 1..255, as JSON and a heatmap (figure 2.11)."""
    from keras_taskadapt.jpeg.table_files import plot_qtables, write_qtables_json
    from keras_taskadapt.jpeg.tables import clip_to_baseline

    tables, clipped = clip_to_baseline(model.codec.quantization.qtables())
    write_qtables_json(json_path, tables, clipped_entries=clipped)
    plot_qtables(png_path, tables, title=title)
    return tables, clipped


def summary_line(metrics):
    return (f"accuracy {metrics['accuracy']:.4f} on real JPEG files at {metrics['kb_per_image']:.3f} KiB/image "
            f"({metrics['bpp']:.2f} bpp, PSNR {metrics['psnr']:.2f} dB, SSIM {metrics['ssim']:.3f}, "
            f"{metrics['clipped_entries']} clipped table entries)")


def plot_rate_curves(rows, folder):
    """Rate-accuracy, rate-PSNR and rate-SSIM curves, JCC against the JPEG baseline (figs. 2.7-2.9),
    as ``rate_<metric>.png`` in ``folder``."""
    import os

    from keras_taskadapt.core.figures import pyplot, save_figure

    for metric, label in (("accuracy", "test accuracy (real JPEG files)"), ("psnr", "PSNR (dB)"), ("ssim", "SSIM")):
        figure, axis = pyplot().subplots(figsize=(5.5, 4))
        for mode, marker in (("baseline", "s"), ("jcc", "o")):
            points = sorted((row["kb_per_image"], row[metric]) for row in rows if row["mode"] == mode)
            if points:
                axis.plot(*zip(*points), marker=marker, label="JPEG standard" if mode == "baseline" else "JCC")
        axis.set_xlabel("KiB per image (real files, optimized Huffman)")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend()
        save_figure(figure, os.path.join(folder, f"rate_{metric}.png"), dpi=110)
