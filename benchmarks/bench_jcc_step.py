"""Training-step time of ResNet-20 with the JPEG codec layers in front, against without
(batch 128, 32x32 RGB), in one run. Goal (issue 3): the JPEG layers add at most 10%.

    python benchmarks/bench_jcc_step.py [--steps 30] [--jit]

Both models train with Adam on the same random batch; the JCC model is timed in its
classifier phase (JPEG layers frozen, the common case) and in its JPEG phase.
"""

import argparse
import time

import numpy as np

from keras_taskadapt.jpeg import JointCompressionClassifier, JpegCodec, QuantizationRate
from keras_taskadapt.models import cifar_resnet


def paired_step_seconds(first, second, images, labels, steps):
    """Median step times of two models timed in alternation, and the median of their ratios.

    Alternating the two cancels most of the load other processes put on a shared machine.
    """
    for model in (first, second):
        model.train_on_batch(images, labels)  # trace and warm up
    pairs = []
    for _ in range(steps):
        times = []
        for model in (first, second):
            started = time.perf_counter()
            model.train_on_batch(images, labels)
            times.append(time.perf_counter() - started)
        pairs.append(times)
    pairs = np.array(pairs)
    return np.median(pairs[:, 0]), np.median(pairs[:, 1]), float(np.median(pairs[:, 1] / pairs[:, 0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--jit", action="store_true", help="compile both models with XLA")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.batch_size, 32, 32, 3)).astype(np.float32)
    labels = rng.integers(0, 10, args.batch_size)
    compile_args = dict(loss="sparse_categorical_crossentropy", jit_compile=args.jit)

    plain = cifar_resnet(10, depth=20)
    plain.compile(optimizer="adam", **compile_args)
    jcc = JointCompressionClassifier(JpegCodec(scale=10.0, rate_penalty=QuantizationRate(1e-3)), cifar_resnet(10, depth=20))
    jcc(images[:1])
    jcc.compile(optimizer="adam", jpeg_optimizer="adam", **compile_args)

    print(f"batch {args.batch_size}, 32x32, XLA {'on' if args.jit else 'off'}, medians of {args.steps} paired steps")
    for phase in ("classifier", "jpeg"):
        jcc.set_phase(phase)
        plain_seconds, jcc_seconds, ratio = paired_step_seconds(plain, jcc, images, labels, args.steps)
        print(f"{phase} phase: ResNet-20 alone {1000 * plain_seconds:6.1f} ms/step, "
              f"JPEG layers + ResNet-20 {1000 * jcc_seconds:6.1f} ms/step, ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
