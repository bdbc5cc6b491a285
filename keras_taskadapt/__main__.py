import sys

from keras_taskadapt.cli import main

sys.exit(main())
