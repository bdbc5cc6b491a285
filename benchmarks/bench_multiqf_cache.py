"""Training the topology's upper blocks from the bottleneck cache against recomputing the frozen
blocks every epoch (seed 004, section 4.1, table 4.3 style), in one run.

    python benchmarks/bench_multiqf_cache.py --base runs/cifar-resnet20/model.keras \\
        --dataset 'tfrecord:../shared/data/images/cifar10-jpeg-q75/*.tfrecord' --block s3b3 \\
        [--qualities 10 20 ... 100] [--val-images 2000] [--train-images 10000] [--epochs 2] [--out DIR]

The stage that unfreezes the base's blocks from the top down to ``--block`` is set up on the
topology (:mod:`keras_taskadapt.multiqf.block_training`). The cache of ``--block``'s input is
written once (timed: the frozen blocks' one pass, JPEG versions included). Then the two ways
of training the stage take turns, one epoch each, ``--epochs`` times: ``recompute`` fits the
whole topology on the image versions (the frozen blocks run forward every epoch, the versions
are made every epoch), ``cache`` fits its twin on the cached activations
(:func:`~keras_taskadapt.multiqf.topology.topology_from_cache`; the same layers, so the
same arithmetic above the block). Reported: seconds per epoch of each (median of its turns),
their ratio, the cache's size on disk against the dense float32 activations, and its zero
fraction.
"""

import argparse
import glob
import json
import os
import statistics
import tempfile
import time


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--block", required=True, help="the lowest block the stage unfreezes; its input is cached")
    parser.add_argument("--qualities", type=int, nargs="+", default=list(range(10, 101, 10)))
    parser.add_argument("--val-images", type=int, default=2000)
    parser.add_argument("--train-images", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each side, in turns")
    parser.add_argument("--out", default=None, help="where the cache goes (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="also write the results here")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_taskadapt.cli import import_tensorflow_quietly

    import_tensorflow_quietly()
    from keras_taskadapt.multiqf.block_training import compile_stage, freeze_for, stage_plan
    from keras_taskadapt.multiqf.blocks import base_blocks
    from keras_taskadapt.multiqf.bottleneck_cache import cache_stream
    from keras_taskadapt.multiqf.topology import multi_quality_topology, topology_from_cache
    from keras_taskadapt.multiqf.training import MultiQFSettings, cache_bottlenecks, open_base_and_data

    settings = MultiQFSettings(base=os.path.abspath(arguments.base), dataset=arguments.dataset,
                               qualities=tuple(arguments.qualities), val_images=arguments.val_images,
                               train_images=arguments.train_images, batch_size=arguments.batch_size)
    out = arguments.out or tempfile.mkdtemp(prefix="multiqf-cache-")
    started = time.perf_counter()
    described = cache_bottlenecks(settings, arguments.block, out, force=True)
    cache_seconds = time.perf_counter() - started
    base, data = open_base_and_data(settings, seed=0)
    blocks = base_blocks(base.model)
    from_top = [block for block in reversed(blocks)]
    names = [block.name for block in from_top]
    stage = stage_plan(from_top[:names.index(arguments.block) + 1])[-1]
    topology = multi_quality_topology(base.model, data.versions)
    freeze_for(topology, stage)
    twin = topology_from_cache(topology, described["end"])
    compile_stage(topology, stage, top5=False)
    compile_stage(twin, stage, top5=False)
    sides = {"recompute": (topology, lambda: data.train),
             "cache": (twin, lambda: cache_stream(out, "train", batch_size=arguments.batch_size, shuffle=True))}
    seconds = {name: [] for name in sides}
    for _ in range(arguments.epochs):
        for name, (model, stream) in sides.items():
            began = time.perf_counter()
            model.fit(stream(), epochs=1, verbose=0, shuffle=False)  # the streams shuffle, seeded
            seconds[name].append(time.perf_counter() - began)
    cache_bytes = sum(os.path.getsize(path) for path in glob.glob(os.path.join(out, "train-*.tfrecord")))
    values = 1
    for side in described["shape"]:
        values *= side
    results = {
        "block": arguments.block, "stage_blocks": " ".join(block.name for block in stage.blocks),
        "versions": data.versions, "train_images": described["train_records"],
        "cache_write_seconds": cache_seconds,
        "epoch_seconds_recompute": statistics.median(seconds["recompute"]),
        "epoch_seconds_cache": statistics.median(seconds["cache"]),
        "speedup": statistics.median(seconds["recompute"]) / statistics.median(seconds["cache"]),
        "turns_recompute": seconds["recompute"], "turns_cache": seconds["cache"],
        "cache_train_bytes": cache_bytes, "dense_train_bytes": described["train_records"] * values * 4,
        "zero_fraction": described["zero_fraction"], "cache": out,
    }
    print(json.dumps(results, indent=2))
    if arguments.json:
        with open(arguments.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
