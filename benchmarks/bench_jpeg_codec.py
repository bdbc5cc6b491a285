"""Throughput of the JPEG codec layers (encode + decode) against Pillow/libjpeg-turbo.

Issues 3 and 16: 64x64 RGB images, batch 256, the Keras layers against Pillow encoding and
decoding the same images with the same tables, one image at a time in this process. The
layers run as a user calls them: ``codec(images)`` with the default (one XLA computation),
the same inside a ``tf.function``, and with ``jit_compile=False`` (op by op, the way out).
Prints images/s of each and their ratios, by wall clock and by process CPU time (the
latter is the fairer figure on a machine shared with other jobs; Pillow runs on one core,
TensorFlow on all).

    python benchmarks/bench_jpeg_codec.py [--kodak ../shared/data/images/kodak] [--repeats 5] [--rounds 7]
"""
import argparse
import io
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from keras_taskadapt.jpeg import JpegCodec, decode_jpeg, encode_jpeg, standard_qtables  # noqa: E402

DEFAULT_KODAK = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "kodak"


def kodak_patches(folder, count=256, size=64, seed=0):
    """``count`` random size x size RGB crops of the Kodak images, uint8."""
    images = [np.asarray(Image.open(path).convert("RGB")) for path in sorted(Path(folder).glob("kodim*.png"))]
    if not images:
        raise SystemExit(f"error: no kodim*.png images in {folder} (pass --kodak DIR)")
    rng = np.random.default_rng(seed)
    patches = []
    for index in range(count):
        image = images[index % len(images)]
        top = rng.integers(0, image.shape[0] - size + 1)
        left = rng.integers(0, image.shape[1] - size + 1)
        patches.append(image[top : top + size, left : left + size])
    return np.stack(patches)


def images_per_second(steps, count, repeats, rounds):
    """Median (images per wall-clock second, images per process-CPU second) of each step.

    The contenders take turns: each round times ``repeats`` batches of every step, so a burst
    of load from elsewhere on the machine hits all of them, and the median over ``rounds``
    rounds leaves it out.
    """
    for step in steps.values():
        step()  # warm-up (tracing, compilation, caches)
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(repeats):
                step()
            samples[name].append((count * repeats / (time.perf_counter() - wall),
                                  count * repeats / (time.process_time() - cpu)))
    return {name: tuple(np.median(np.array(rates), axis=0)) for name, rates in samples.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kodak", default=str(DEFAULT_KODAK), help="folder with kodim*.png")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches per contender and round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the figures are their medians")
    parser.add_argument("--quality", type=int, default=75, help="standard tables of this quality")
    args = parser.parse_args()

    batch = kodak_patches(args.kodak)
    tables = standard_qtables(args.quality)
    codec = JpegCodec(initial_tables=args.quality)
    codec_without_xla = JpegCodec(initial_tables=args.quality, jit_compile=False)
    inputs = tf.constant(batch, tf.float32)

    def layers_step(layer):
        return lambda: keras.ops.convert_to_numpy(layer(inputs))

    def pillow_quality_step():
        for image in batch:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=args.quality)
            decode_jpeg(buffer.getvalue())

    def pillow_tables_step():
        for image in batch:
            decode_jpeg(encode_jpeg(image, tables))

    contenders = {
        "JpegCodec (default: XLA)": layers_step(codec),
        "JpegCodec in a tf.function": layers_step(tf.function(codec)),
        "JpegCodec, jit_compile=False": layers_step(tf.function(codec_without_xla)),
        f"Pillow quality={args.quality}": pillow_quality_step,
        "Pillow 3 tables + optimized Huffman": pillow_tables_step,
    }
    rates = images_per_second(contenders, len(batch), args.repeats, args.rounds)
    print(f"cores: {os.cpu_count()}; batch {len(batch)} x 64x64 RGB Kodak crops; quality {args.quality} tables; median of {args.rounds} rounds of {args.repeats} batches each")
    print(f"{'encode + decode':40s} {'images/s (wall)':>16s} {'images/CPU-s':>14s}")
    for name, (wall, cpu) in rates.items():
        print(f"{name:40s} {wall:16.0f} {cpu:14.0f}")
    pillow = rates[f"Pillow quality={args.quality}"]
    for name in list(rates)[:3]:
        print(f"ratio {name} / Pillow quality={args.quality}: {rates[name][0] / pillow[0]:.2f}x wall, {rates[name][1] / pillow[1]:.2f}x CPU")


if __name__ == "__main__":
    main()
