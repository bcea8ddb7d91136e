"""TensorFlow for input only: every GPU is hidden from it before any TF operation runs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

tf.config.set_visible_devices([], "GPU")

__all__ = ["tf"]
