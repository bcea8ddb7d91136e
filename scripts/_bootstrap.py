"""Makes `configs/` importable and keeps TensorFlow off the GPU, for every script."""

import os
import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
  sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import logging as _absl_logging  # noqa: E402

_absl_logging.set_verbosity(_absl_logging.WARNING)  # orbax logs every save at INFO
