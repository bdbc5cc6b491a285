"""Throughput of the JPEG codec layers (encode + decode) against Pillow/libjpeg-turbo.

Issue 3, "Measure": 64x64 RGB images, batch 256, the Keras layers (one call of
``JpegCodec`` in a ``tf.function``, with and without XLA) against Pillow encoding and
decoding the same images with the same tables, one image at a time in this process.
Prints images/s of each and their ratios, by wall clock and by process CPU time (the
latter is the fairer figure on a machine shared with other jobs; Pillow runs on one core,
TensorFlow on all).

    python benchmarks/bench_jpeg_codec.py [--kodak ../shared/data/images/kodak] [--repeats 20]
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


def images_per_second(step, count, repeats):
    """(images per wall-clock second, images per process-CPU second) of ``step``."""
    step()  # warm-up (tracing, compilation, caches)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        step()
    return count * repeats / (time.perf_counter() - wall), count * repeats / (time.process_time() - cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kodak", default=str(DEFAULT_KODAK), help="folder with kodim*.png")
    parser.add_argument("--repeats", type=int, default=20, help="timed batches per contender")
    parser.add_argument("--quality", type=int, default=75, help="standard tables of this quality")
    args = parser.parse_args()

    batch = kodak_patches(args.kodak)
    tables = standard_qtables(args.quality)
    codec = JpegCodec(initial_tables=args.quality)
    inputs = tf.constant(batch, tf.float32)

    def layers_step(function):
        return lambda: keras.ops.convert_to_numpy(function(inputs))

    def pillow_quality_step():
        for image in batch:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=args.quality)
            decode_jpeg(buffer.getvalue())

    def pillow_tables_step():
        for image in batch:
            decode_jpeg(encode_jpeg(image, tables))

    contenders = {
        "JpegCodec layers, tf.function": layers_step(tf.function(codec)),
        "JpegCodec layers, tf.function + XLA": layers_step(tf.function(codec, jit_compile=True)),
        f"Pillow quality={args.quality}": pillow_quality_step,
        "Pillow 3 tables + optimized Huffman": pillow_tables_step,
    }
    rates = {name: images_per_second(step, len(batch), args.repeats) for name, step in contenders.items()}
    print(f"cores: {os.cpu_count()}; batch {len(batch)} x 64x64 RGB Kodak crops; quality {args.quality} tables; {args.repeats} timed batches each")
    print(f"{'encode + decode':40s} {'images/s (wall)':>16s} {'images/CPU-s':>14s}")
    for name, (wall, cpu) in rates.items():
        print(f"{name:40s} {wall:16.0f} {cpu:14.0f}")
    pillow = rates[f"Pillow quality={args.quality}"]
    for name in list(rates)[:2]:
        print(f"ratio {name} / Pillow quality={args.quality}: {rates[name][0] / pillow[0]:.2f}x wall, {rates[name][1] / pillow[1]:.2f}x CPU")


if __name__ == "__main__":
    main()
