"""What a config's data looks like, read from the config alone (no examples are opened).

Benchmarks, parameter counts and ahead-of-time compilation use these on machines that lack
the data; the trainer instead checks the real examples (`pipeline.check_example_shape`).
TensorFlow is imported only for conditional configs whose class count lives in TFDS metadata.
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
import numpy as np

from wgan_jax.data import MNIST_CLASSES, DataError
from wgan_jax.data.toy import toy_dataset


def declared_example_shape(data_config: Mapping[str, Any]) -> tuple[int, ...]:
  """The shape of one real example after preprocessing, as the config declares it."""
  if data_config["source"] == "toy":
    return tuple(toy_dataset(data_config["name"], 1, seed=0).shape[1:])
  if data_config.get("seq_len"):  # text, one-hot; the vocabulary at its largest allowed size
    return (data_config["seq_len"], data_config["max_vocab_size"])
  size, channels = data_config.get("image_size"), data_config.get("channels")
  if not (size and channels):
    raise DataError("Without reading the data, image configs need config.data.image_size and "
                    "config.data.channels.")
  return (size, size, channels)


def declared_num_classes(data_config: Mapping[str, Any]) -> int:
  """The class count a conditional model is built for: 0 unless `use_labels`.

  TFDS names answer from the builder's metadata (no data needed), so benchmarks and parameter
  counts of conditional configs work on a machine without the data.
  """
  if not data_config.get("use_labels"):
    return 0
  kind = data_config["source"]
  if kind == "tfds":
    import tensorflow_datasets as tfds  # the `train` extra: the core reads no data

    name = data_config["name"]
    try:
      features = tfds.builder(name, data_dir=data_config.get("tfds_data_dir") or None).info.features
    except tfds.core.registered.DatasetNotFoundError as error:
      raise DataError(f"Unknown TFDS data set {name!r}: {error}") from None
    return int(features["label"].num_classes) if "label" in features else 0
  if kind == "mnist_idx":
    return MNIST_CLASSES
  from wgan_jax.data import sources  # reads the data, with TensorFlow (the `train` extra)
  if kind == "image_folder":
    return len(sources.list_images(data_config["path"])[2])
  return sources.make_source(data_config, seed=0).num_classes


# Examples in the training split of the data sets a device-resident run may hold, for
# compiling such a run without the data (`wgan_jax.aot`); others need data.max_examples.
KNOWN_TRAIN_SIZES = {"mnist": 60_000, "fashion_mnist": 60_000, "cifar10": 50_000}


def real_batch_shapes(data_config: Mapping[str, Any], example_shape: tuple[int, ...],
                      num_classes: int, n_critic: int, batch: int) -> Any:
  """The shapes and dtypes of `[n_critic, batch, ...]` real batches as the step receives them.

  Text arrives as character ids (the step one-hots them), images and points as float32;
  labelled data as a `{'x', 'label'}` dict. Benchmarks fill these with random values, the
  ahead-of-time compiler uses them as they are.
  """
  if data_config.get("seq_len"):
    x = jax.ShapeDtypeStruct((n_critic, batch, example_shape[0]), np.int32)
  else:
    x = jax.ShapeDtypeStruct((n_critic, batch) + tuple(example_shape), np.float32)
  if not num_classes:
    return x
  return {"x": x, "label": jax.ShapeDtypeStruct((n_critic, batch), np.int32)}


def resident_dataset_shapes(data_config: Mapping[str, Any], example_shape: tuple[int, ...],
                            num_classes: int) -> Any:
  """The shapes of the data set a device-resident run holds on every device
  (`pipeline.load_resident`): toy points as float32, token ids as int32, images as uint8 pixels
  (float32 when resized)."""
  example_shape = tuple(example_shape)
  if data_config["source"] == "toy":
    count, dtype = data_config["toy_pool_size"], np.float32
  else:
    count = data_config.get("max_examples") or KNOWN_TRAIN_SIZES.get(data_config.get("name"))
    if data_config["source"] == "mnist_idx":
      count = data_config.get("max_examples") or KNOWN_TRAIN_SIZES["mnist"]
    if not count:
      raise DataError(f"The size of {data_config.get('name') or data_config.get('path')!r} is "
                      f"not known without reading it; set --config.data.max_examples.")
    dtype = np.float32 if data_config.get("resize") else np.uint8
  if data_config.get("seq_len"):  # character ids, one-hot in the step
    example_shape, dtype = example_shape[:1], np.int32
  arrays = {"x": jax.ShapeDtypeStruct((count,) + example_shape, dtype)}
  if num_classes:
    arrays["label"] = jax.ShapeDtypeStruct((count,), np.int32)
  return arrays
