"""TensorFlow, for input only.

`input_only()` hides every GPU from TensorFlow before the data pipeline's first operation, so
TensorFlow leaves accelerator memory to JAX. It runs when a source is first built, not at
import: a process that uses TensorFlow for its own work before then keeps its devices.
"""

from wgan_jax.extras import train_extra

with train_extra(__name__):
  import tensorflow as tf

_hidden = False


def input_only():
  """`tensorflow`, with its GPUs hidden once (where its runtime has not started yet)."""
  global _hidden
  if not _hidden:
    _hidden = True
    try:
      tf.config.set_visible_devices([], "GPU")
    except RuntimeError:  # TensorFlow already runs in this process: its devices stay as they are
      pass
  return tf


__all__ = ["input_only", "tf"]
