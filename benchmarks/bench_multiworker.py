"""Steps per second of ``train classify`` on 1 worker against 2 worker processes on this machine.

    python benchmarks/bench_multiworker.py [--steps 30] [--batch-size 128] [--depth 20]

Each worker is its own process with its ``TF_CONFIG``, as on a cluster, all on 127.0.0.1. The
figure is the training steps over the chief's ``train_seconds`` (``model.fit`` alone: no start-up,
no evaluation), the same global batch in both runs. On one 2-core machine two workers share the
cores and add the all-reduce of every step, so the figure shows the overhead of the
multi-worker path, not a speed-up; on a cluster each worker brings its own cores or GPUs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from keras_taskadapt.core.distribute import local_cluster


def steps_per_second(workers, args, folder):
    out = os.path.join(folder, f"workers{workers}")
    command = [sys.executable, "-m", "keras_taskadapt", "train", "classify", "--strategy", "multiworker",
               "--epochs", "1", "--steps-per-epoch", str(args.steps), "--batch-size", str(args.batch_size),
               "--depth", str(args.depth), "--no-augment", "--out", out]
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "TF_CONFIG": config})
                 for config in local_cluster(workers)]
    if any(process.wait() for process in processes):
        raise SystemExit(f"error: a worker of the {workers}-worker run failed")
    with open(os.path.join(out, "metrics.json")) as handle:
        return args.steps / json.load(handle)["train_seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="training steps of each run")
    parser.add_argument("--batch-size", type=int, default=128, help="global batch size")
    parser.add_argument("--depth", type=int, default=20, help="ResNet depth")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        one = steps_per_second(1, args, folder)
        two = steps_per_second(2, args, folder)
    print(f"ResNet-{args.depth}, global batch {args.batch_size}, {args.steps} steps, {os.cpu_count()} CPUs")
    print(f"1 worker:  {one:.2f} steps/s")
    print(f"2 workers: {two:.2f} steps/s ({two / one:.2f}x of 1 worker)")


if __name__ == "__main__":
    main()
