"""What a config's data looks like, read from the config alone (no examples are opened).

Benchmarks, parameter counts and ahead-of-time compilation use these on machines that lack
the data; the trainer instead checks the real examples (`pipeline.check_example_shape`).
TensorFlow is imported only for conditional configs whose class count lives in TFDS metadata.
"""

from __future__ import annotations

from typing import Any, Mapping

from wgan_jax.data import DataError
from wgan_jax.data.toy import toy_dataset

MNIST_CLASSES = 10


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
    import tensorflow_datasets as tfds

    name = data_config["name"]
    try:
      features = tfds.builder(name, data_dir=data_config.get("tfds_data_dir") or None).info.features
    except tfds.core.registered.DatasetNotFoundError as error:
      raise DataError(f"Unknown TFDS data set {name!r}: {error}") from None
    return int(features["label"].num_classes) if "label" in features else 0
  if kind == "mnist_idx":
    return MNIST_CLASSES
  from wgan_jax.data import sources  # TensorFlow
  if kind == "image_folder":
    return len(sources.list_images(data_config["path"])[2])
  return sources.make_source(data_config, seed=0).num_classes
