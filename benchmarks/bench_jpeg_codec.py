"""Throughput of the JPEG codec layers (encode + decode) against Pillow/libjpeg-turbo.

Issue 3, "Measure": 64x64 RGB images, batch 256, the Keras layers (one compiled call of
``JpegCodec``) against Pillow encoding and decoding the same images with the same tables,
one image at a time in this process. Prints images/s of each and their ratio.

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
    step()  # warm-up (tracing, caches)
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return count * repeats / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kodak", default=str(DEFAULT_KODAK), help="folder with kodim*.png")
    parser.add_argument("--repeats", type=int, default=20, help="timed batches per contender")
    parser.add_argument("--quality", type=int, default=75, help="standard tables of this quality")
    args = parser.parse_args()

    batch = kodak_patches(args.kodak)
    tables = standard_qtables(args.quality)
    codec = JpegCodec(initial_tables=args.quality)
    compiled = tf.function(codec, jit_compile=False)
    inputs = tf.constant(batch, tf.float32)

    def layers_step():
        keras.ops.convert_to_numpy(compiled(inputs))

    def pillow_quality_step():
        for image in batch:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=args.quality)
            decode_jpeg(buffer.getvalue())

    def pillow_tables_step():
        for image in batch:
            decode_jpeg(encode_jpeg(image, tables))

    layers = images_per_second(layers_step, len(batch), args.repeats)
    pillow = images_per_second(pillow_quality_step, len(batch), args.repeats)
    pillow_tables = images_per_second(pillow_tables_step, len(batch), args.repeats)
    device = ", ".join(d.device_type for d in tf.config.list_logical_devices() if d.device_type != "CPU") or "CPU"
    print(f"device: {device}; TensorFlow threads: intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}; cores: {os.cpu_count()}")
    print(f"batch {len(batch)} x 64x64 RGB, quality {args.quality} tables, {args.repeats} timed batches each")
    print(f"JpegCodec layers (encode+decode):                 {layers:10.0f} images/s")
    print(f"Pillow quality={args.quality} (encode+decode):           {pillow:10.0f} images/s")
    print(f"Pillow 3 tables, optimized Huffman (encode+decode): {pillow_tables:10.0f} images/s")
    print(f"ratio layers / Pillow quality={args.quality}: {layers / pillow:.2f}x; layers / Pillow 3 tables: {layers / pillow_tables:.2f}x")


if __name__ == "__main__":
    main()
