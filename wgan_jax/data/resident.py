"""A data set held on every device: real batches drawn in-graph, no host pipeline.

`dataset` is an array `[N, ...]` (or a `{'x', 'label'}` dict of them) on every
device. Examples are drawn uniformly with replacement from a key, for the
global batch and sliced per device, so data parallelism changes nothing; pixels
are scaled in-graph as the host pipeline scales them. The step that draws its
batches so is `program.resident_step`. This module needs JAX only (no TensorFlow).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp

from wgan_jax.parallel import draw_global

Array = jax.Array
Preprocess = Callable[[Array, Array], Array]

DATA_STREAM = 0x5EED  # folds the step key into the data-sampling stream


def draw_batches(key: Array, dataset: Any, n_critic: int, batch_size: int,
                 axis_name: str | None = None, preprocess: Preprocess | None = None) -> Any:
  """`[n_critic, batch_size, ...]` real batches (with labels if `dataset` has them).

  `preprocess(x, noise)` runs after the gather, with `noise` uniform in [0, 1)
  and shaped like `x` (XLA drops it when unused), e.g. uint8 -> [-1, 1] with
  dequantization.
  """
  index_key, noise_key = jax.random.split(jax.random.fold_in(key, DATA_STREAM))
  num_examples = jax.tree_util.tree_leaves(dataset)[0].shape[0]
  indices = draw_global(lambda k, n: jax.random.randint(k, (n, n_critic), 0, num_examples),
                        index_key, batch_size, axis_name).T
  batches = jax.tree_util.tree_map(lambda a: jnp.take(a, indices, axis=0), dataset)
  if preprocess is None:
    return batches
  x = batches["x"] if isinstance(batches, Mapping) else batches
  noise = draw_global(lambda k, n: jax.random.uniform(k, (n, n_critic) + x.shape[2:]),
                      noise_key, batch_size, axis_name).swapaxes(0, 1)
  x = preprocess(x, noise)
  return {**batches, "x": x} if isinstance(batches, Mapping) else x


def pixel_preprocess(dequantize: bool) -> Preprocess:
  """`preprocess(x, noise)` that scales pixels to [-1, 1] like the tf.data pipeline does.

  With `dequantize`, the WGAN-GP ResNet's x / 128 - 1 + U[0, 1/128).
  """

  def preprocess(x, noise):
    x = x.astype(jnp.float32)
    if dequantize:
      return x / 128.0 - 1.0 + noise / 128.0
    return x / 127.5 - 1.0

  return preprocess


def holds_pixels(dataset: Any, data_config: Mapping[str, Any]) -> bool:
  """Whether a data set held on the devices (arrays or their shapes) is images of pixel values
  that `pixel_preprocess` scales: integer pixels, or pixels resized on the host (float32 in
  [0, 255]). Points, token ids and images already in [-1, 1] are used as they are."""
  x = dataset["x"] if isinstance(dataset, Mapping) else dataset
  if len(x.shape) != 4:  # images are [N, H, W, C]; points and text have fewer axes
    return False
  resized = bool(data_config.get("resize") and data_config.get("image_size"))
  return bool(jnp.issubdtype(x.dtype, jnp.integer)) or resized
