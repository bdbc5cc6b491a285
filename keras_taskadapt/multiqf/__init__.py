"""The compressed-input CNN topology and block-by-block transfer learning (seed 004, chapters 3-4).

The inputs: an image and its JPEG versions (:mod:`~keras_taskadapt.multiqf.versions`); the
base network and its named blocks (:mod:`~keras_taskadapt.multiqf.base_network`,
:mod:`~keras_taskadapt.multiqf.blocks`); the topology with one shared trunk
(:mod:`~keras_taskadapt.multiqf.topology`); algorithm 2's stages
(:mod:`~keras_taskadapt.multiqf.block_training`); the sparse bottleneck cache
(:mod:`~keras_taskadapt.multiqf.bottleneck_cache`); table 4.8's analysis
(:mod:`~keras_taskadapt.multiqf.analysis`); the run (:mod:`~keras_taskadapt.multiqf.training`).
"""
