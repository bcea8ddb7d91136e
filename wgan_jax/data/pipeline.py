"""The tf.data input pipeline: shard, shuffle, skip, decode, preprocess, batch, prefetch.

Each element is one generator iteration's worth of real data for this
process: `{'x': [local_devices, n_critic, per_device_batch, ...]}` (plus
`'label'` when the source has labels). The order is a pure function of the
seed, so `skip_groups` resumes exactly where an earlier run stopped.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import numpy as np
from wgan_jax.data._tf import tf

from wgan_jax.data import resident
from wgan_jax.data.sources import DataError, Source, make_source


def resize_and_crop(image: tf.Tensor, image_size: int) -> tf.Tensor:
  """Resizes the short side to `image_size` (antialiased bilinear) and centre-crops a square."""
  height, width = tf.shape(image)[0], tf.shape(image)[1]
  scale = image_size / tf.cast(tf.minimum(height, width), tf.float32)
  new_size = tf.cast(tf.math.ceil(tf.cast(tf.stack([height, width]), tf.float32) * scale),
                     tf.int32)
  image = tf.image.resize(image, new_size, method="bilinear", antialias=True)
  image = tf.image.resize_with_crop_or_pad(image, image_size, image_size)
  return tf.clip_by_value(image, 0.0, 255.0)


def preprocess_image(image: tf.Tensor, image_size: int | None, resize: bool,
                     dequantize: bool, noise_seed: tf.Tensor | None = None) -> tf.Tensor:
  """uint8 -> float32 in [-1, 1]; optionally resize the short side and centre-crop to a square.

  With `dequantize`, uniform noise seeded by `noise_seed` (the example's
  position in the stream, so a resumed run draws the same noise). The
  device-resident path applies the same scaling in-graph (`resident.pixel_preprocess`).
  """
  if resize and image_size:
    image = resize_and_crop(image, image_size)
  if image.dtype == tf.uint8 or (resize and image_size):
    image = tf.cast(image, tf.float32)
    if dequantize:
      # The WGAN-GP ResNet's scaling: 2 * (x / 256 - 0.5) + U[0, 1/128).
      image = image / 128.0 - 1.0 + tf.random.stateless_uniform(
          tf.shape(image), noise_seed, 0.0, 1.0 / 128.0)
    else:
      image = image / 127.5 - 1.0
  return tf.cast(image, tf.float32)


def peek(source: Source) -> dict[str, np.ndarray]:
  """Decodes the first example (for shape checks before training)."""
  for example in source.dataset.take(1).map(source.decode):
    return {k: v.numpy() for k, v in example.items()}
  raise DataError(f"{source.description or 'The data set'} is empty.")


def check_example_shape(example: Mapping[str, np.ndarray], data_config: Mapping[str, Any],
                        description: str, vocabulary: Any = None) -> tuple[int, ...]:
  """Checks one decoded example against the config; returns the example shape after preprocessing.

  Text (ids `[seq_len]` with a `vocabulary`) is modelled one-hot: `(seq_len, vocabulary size)`.
  """
  x = example["x"]
  if vocabulary is not None:
    return (x.shape[0], len(vocabulary))
  if x.ndim == 1:  # low-dimensional data
    return tuple(x.shape)
  if x.ndim != 3:
    raise DataError(f"{description}: expected images of shape [H, W, C], got {x.shape}.")
  channels = data_config.get("channels")
  if channels and x.shape[-1] != channels:
    raise DataError(f"{description}: images have {x.shape[-1]} channel(s) but the config asks "
                    f"for {channels} (--config.data.channels).")
  image_size = data_config.get("image_size")
  if image_size and not data_config.get("resize") and tuple(x.shape[:2]) != (image_size, image_size):
    raise DataError(f"{description}: images are {x.shape[0]}x{x.shape[1]} but the config asks "
                    f"for {image_size}x{image_size}; set --config.data.resize=True to resize "
                    f"and centre-crop, or change --config.data.image_size.")
  if image_size and data_config.get("resize"):
    return (image_size, image_size, x.shape[-1])
  return tuple(x.shape)


def make_pipeline(source: Source, data_config: Mapping[str, Any], *, per_device_batch: int,
                  local_devices: int, n_critic: int, seed: int, skip_groups: int = 0,
                  global_devices: int | None = None,
                  device_offset: int = 0) -> Iterator[dict[str, np.ndarray]]:
  """Yields numpy groups `[local_devices, n_critic, per_device_batch, ...]` forever.

  On several hosts every process shuffles the same cheap stream of elements
  and keeps, before decoding, only the examples that fall to its devices
  (`device_offset` ... `device_offset + local_devices - 1` of `global_devices`).
  So each process decodes only its own shard, and the model sees exactly the
  batches a single process with all the devices would feed it.
  """
  global_devices = global_devices or local_devices
  if not 0 <= device_offset <= global_devices - local_devices:
    raise ValueError(f"Devices {device_offset}..{device_offset + local_devices - 1} are not "
                     f"within the {global_devices} global devices.")
  buffer = int(data_config.get("shuffle_buffer") or 10_000)
  if source.num_examples > 0:
    buffer = min(buffer, source.num_examples)
  per_device = n_critic * per_device_batch
  group = global_devices * per_device
  start = skip_groups * group
  dataset = source.dataset.repeat().shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
  dataset = dataset.skip(start).enumerate(start=start)
  if local_devices != global_devices:
    first, last = device_offset * per_device, (device_offset + local_devices) * per_device
    dataset = dataset.filter(lambda position, _: (position % group >= first)
                             & (position % group < last))
  dataset = dataset.map(lambda position, example: (position, source.decode(example)),
                        num_parallel_calls=tf.data.AUTOTUNE)

  if source.is_image:
    image_size = data_config.get("image_size")
    resize = bool(data_config.get("resize"))
    dequantize = bool(data_config.get("dequantize"))

    def preprocess(position, example):
      noise_seed = tf.stack([tf.constant(seed, tf.int64), position])
      return {**example, "x": preprocess_image(example["x"], image_size, resize, dequantize,
                                                noise_seed)}
  else:
    dtype = tf.int32 if source.vocabulary is not None else tf.float32  # text: character ids

    def preprocess(position, example):
      del position
      return {**example, "x": tf.cast(example["x"], dtype)}

  dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
  if not data_config.get("use_labels", False):
    dataset = dataset.map(lambda e: {"x": e["x"]})
  dataset = (dataset.batch(per_device_batch, drop_remainder=True)
             .batch(n_critic, drop_remainder=True)
             .batch(local_devices, drop_remainder=True)
             .prefetch(tf.data.AUTOTUNE))
  options = tf.data.Options()
  options.deterministic = True
  dataset = dataset.with_options(options)
  return dataset.as_numpy_iterator()


def load_resident(source: Source, data_config: Mapping[str, Any]) -> dict[str, np.ndarray]:
  """The whole data set in source order, decoded (and resized), for the device.

  Images keep their pixel values (uint8, or float32 when resized), which
  `resident.pixel_preprocess` scales in-graph (`resident.holds_pixels`), so CIFAR-10 takes
  150 MB of device memory; other data is float32 (token ids int32), used as it is.
  """
  if source.num_examples <= 0:
    raise DataError(f"{source.description}: the size of the data set is unknown, so it cannot "
                    f"be held on the device; set --config.data.device_resident=False.")
  image_size = data_config.get("image_size")
  resized = source.is_image and bool(data_config.get("resize") and image_size)
  if source.arrays is not None and not resized:  # already decoded in memory
    arrays = dict(source.arrays)
  else:
    dataset = source.dataset.map(source.decode, num_parallel_calls=tf.data.AUTOTUNE)
    if resized:
      dataset = dataset.map(lambda e: {**e, "x": resize_and_crop(e["x"], image_size)},
                            num_parallel_calls=tf.data.AUTOTUNE)
    parts = list(dataset.batch(4096).as_numpy_iterator())
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
  if not data_config.get("use_labels", False):
    arrays = {"x": arrays["x"]}
  if not resident.holds_pixels(arrays, data_config):
    arrays["x"] = arrays["x"].astype(np.int32 if source.vocabulary is not None else np.float32)
  return arrays


def load_split(data_config: Mapping[str, Any], split: str, seed: int = 0,
               with_labels: bool | None = None) -> dict[str, np.ndarray]:
  """Split `split` of the configured data, whole and in source order (`{'x'}`, plus `'label'`
  with `use_labels` or `with_labels`), scaled as training sees it but without dequantization
  noise: held-out data for measurements. Every label is kept (`labelled_per_class` concerns
  training only)."""
  data_config = {**dict(data_config), "split": split}
  if with_labels is not None:
    data_config["use_labels"] = with_labels
  arrays = load_resident(make_source(data_config, seed), data_config)
  if resident.holds_pixels(arrays, data_config):
    scale = resident.pixel_preprocess(bool(data_config.get("dequantize")))
    arrays["x"] = np.asarray(scale(arrays["x"], 0.0))
  return arrays


def take_critic_batches(iterator: Iterator[dict[str, np.ndarray]], n_critic: int,
                        group_size: int) -> tuple[dict[str, np.ndarray], int]:
  """Takes enough pipeline groups for `n_critic` critic iterations; returns (batches, groups used)."""
  groups = -(-n_critic // group_size)
  parts = [next(iterator) for _ in range(groups)]
  if groups == 1 and n_critic == group_size:
    return parts[0], 1
  return {k: np.concatenate([p[k] for p in parts], axis=1)[:, :n_critic] for k in parts[0]}, groups
