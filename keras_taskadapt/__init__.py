"""keras-taskadapt: deep networks adapted to their task and to a band-limited channel.

Sub-packages (imported on demand, so that ``keras-taskadapt --help`` stays fast):

- ``keras_taskadapt.data``: every data set behind one function, :func:`load_dataset`.
- ``keras_taskadapt.jpeg``: JPEG inside the network (seed 000, chapter 2).
- ``keras_taskadapt.losses``, ``transforms``, ``models``, ``training``, ``latent``:
  hierarchical training of split auto-encoders (seed 000 chapter 3, seeds 001/002).
- ``keras_taskadapt.salinity``: Delta salinity emulators (seed 000, chapter 5).
"""

__version__ = "0.1.0"
