"""Streaming throughput of ``tfrecord:`` CIFAR-10 (JPEG decode, batch 256) against the same
images held in memory as a NumPy array, in images per second, in one run.

    python benchmarks/bench_tfrecord_stream.py [--glob ../shared/data/images/cifar10-jpeg-q75/train-*]

Target (issue 2): at least 20,000 images/s on a 2-core machine.
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from keras_taskadapt.data import load_dataset, open_dataset


def images_per_second(dataset, epochs):
    """Best of ``epochs`` full passes (the first pass also warms the page cache)."""
    best = 0.0
    for _ in range(epochs):
        started, count = time.perf_counter(), 0
        for _, labels in dataset:
            count += int(labels.shape[0])
        best = max(best, count / (time.perf_counter() - started))
    return best, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glob", default="../shared/data/images/cifar10-jpeg-q75/*.tfrecord")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    source = open_dataset(f"tfrecord:{args.glob}")
    streamed = load_dataset(source=source, split="train", batch_size=args.batch_size, shuffle=False)
    stream_rate, count = images_per_second(streamed, args.epochs)

    images, labels = zip(*source.examples("train").batch(4096).as_numpy_iterator())
    images, labels = np.concatenate(images), np.concatenate(labels)
    in_memory = tf.data.Dataset.from_tensor_slices((images, labels)).batch(args.batch_size).prefetch(tf.data.AUTOTUNE)
    memory_rate, _ = images_per_second(in_memory, args.epochs)

    print(f"images: {count}, batch {args.batch_size}, cores: {tf.config.threading.get_inter_op_parallelism_threads() or 'all'}")
    print(f"tfrecord stream (JPEG decode): {stream_rate:,.0f} images/s")
    print(f"in-memory NumPy array:         {memory_rate:,.0f} images/s")
    print(f"ratio stream / in-memory:      {stream_rate / memory_rate:.2f}")


if __name__ == "__main__":
    main()
