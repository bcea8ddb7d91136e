"""Where examples come from: TFDS names, MNIST IDX files, image folders, `.npz` arrays, toy sets.

Every source returns a `Source`: a finite, deterministically ordered
`tf.data.Dataset` of `{'x': ..., 'label': ...}` elements *before* any costly
decoding (file paths for image folders), plus a `decode` function applied
after shuffling. Shuffling and skipping then work on cheap elements, which is
what lets a resumed run skip exactly the examples it has already seen.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import pathlib
import struct
from typing import Any, Callable, Mapping

import numpy as np
from wgan_jax.data._tf import input_only, tf

from wgan_jax.data import MNIST_CLASSES, DataError, toy
from wgan_jax.data.text import Vocabulary, read_entries

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclasses.dataclass
class Source:
  """A finite data set: cheap elements, a decode step, and what the decoded examples look like."""

  dataset: tf.data.Dataset
  decode: Callable[[Mapping[str, tf.Tensor]], Mapping[str, tf.Tensor]]
  num_examples: int
  num_classes: int = 0
  is_image: bool = True
  description: str = ""
  # The decoded examples, when the source already holds them in memory ({'x', 'label'}).
  arrays: Mapping[str, np.ndarray] | None = None
  # Text: the characters behind the integer ids of `x` (`wgan_jax.data.text.Vocabulary`).
  vocabulary: Any = None


# ----------------------------------------------------------------------------- in-memory arrays


def array_source(x: np.ndarray, labels: np.ndarray | None = None, num_classes: int = 0,
                 is_image: bool = True, description: str = "") -> Source:
  """A source over arrays held in memory; elements are indices, decoding is a gather."""
  input_only()
  if len(x) == 0:
    raise DataError(f"{description or 'The data set'} is empty.")
  x_tensor = tf.constant(x)
  label_tensor = tf.constant(labels.astype(np.int32)) if labels is not None else None

  def decode(example):
    out = {"x": tf.gather(x_tensor, example["index"])}
    if label_tensor is not None:
      out["label"] = tf.gather(label_tensor, example["index"])
    return out

  indices = tf.data.Dataset.range(len(x)).map(lambda i: {"index": i})
  if labels is not None and not num_classes:
    num_classes = _counted_classes(labels, description)
  arrays = {"x": x} if labels is None else {"x": x, "label": labels.astype(np.int32)}
  return Source(indices, decode, len(x), num_classes if labels is not None else 0, is_image,
                description, arrays)


def _counted_classes(labels: np.ndarray, description: str) -> int:
  """The class count labels 0..K-1 imply; labels that skip a class are refused (one stray
  label would otherwise add classes nobody trains)."""
  present = np.unique(labels[labels >= 0])
  if not len(present):
    return 0
  count = int(present[-1]) + 1
  if len(present) != count:
    missing = sorted(set(range(count)) - set(present.tolist()))
    shown = ", ".join(map(str, missing[:8])) + (", ..." if len(missing) > 8 else "")
    raise DataError(f"{description or 'The data set'}: labels run up to {count - 1} but classes "
                    f"{shown} have no examples. Fix the labels, or give the class count with "
                    f"--config.data.num_classes.")
  return count


def toy_source(name: str, size: int, seed: int) -> Source:
  """A pool of `size` points of a toy set (effectively infinite at the default size)."""
  points = toy.toy_dataset(name, size, seed)
  return array_source(points, is_image=False, description=f"toy data set {name!r}")


# ----------------------------------------------------------------------------- MNIST IDX


def _open_maybe_gzip(path: pathlib.Path):
  with open(path, "rb") as f:
    magic = f.read(2)
  return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
  """Reads an IDX file (gzipped or not) into a numpy array."""
  path = pathlib.Path(path)
  with _open_maybe_gzip(path) as f:
    header = f.read(4)
    if len(header) != 4 or header[0] != 0 or header[1] != 0:
      raise DataError(f"{path} is not an IDX file (bad magic number).")
    dtype = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
             0x0E: ">f8"}.get(header[2])
    if dtype is None:
      raise DataError(f"{path}: unknown IDX data type 0x{header[2]:02x}.")
    shape = struct.unpack(">" + "I" * header[3], f.read(4 * header[3]))
    data = np.frombuffer(f.read(), dtype=dtype)
  if data.size != int(np.prod(shape)):
    raise DataError(f"{path} is truncated: expected {int(np.prod(shape))} values, "
                    f"found {data.size}.")
  return data.reshape(shape)


def _find_idx(directory: pathlib.Path, stem: str) -> pathlib.Path:
  for name in (stem, stem + ".gz"):
    if (directory / name).exists():
      return directory / name
  raise DataError(f"No MNIST file {stem}[.gz] in {directory}.")


def mnist_idx_source(directory: str, split: str = "train") -> Source:
  """MNIST (or Fashion-MNIST) from the four standard IDX files in `directory`."""
  directory_path = _existing_dir(directory)
  prefix = {"train": "train", "test": "t10k"}.get(split)
  if prefix is None:
    raise DataError(f"MNIST IDX split must be 'train' or 'test', got {split!r}.")
  images = read_idx(_find_idx(directory_path, f"{prefix}-images-idx3-ubyte"))
  labels = read_idx(_find_idx(directory_path, f"{prefix}-labels-idx1-ubyte"))
  if len(images) != len(labels):
    raise DataError(f"{directory}: {len(images)} images but {len(labels)} labels.")
  return array_source(images[..., None], labels, MNIST_CLASSES,
                      description=f"MNIST IDX files in {directory}")


# ----------------------------------------------------------------------------- npz


FLOAT_PIXELS = ("-1..1", "0..1")  # the ranges float pixels in an .npz may be declared in


def npz_source(path: str, float_pixels: str = "-1..1", num_classes: int = 0) -> Source:
  """Arrays from an `.npz` file: images under 'x' (or 'images'), optional labels under
  'label'/'labels'/'y'.

  Integer pixels of any dtype must lie in 0..255 and are scaled as uint8 images are; float
  pixels must lie in the declared range `float_pixels` ('-1..1', used as they are, or '0..1',
  mapped to [-1, 1]). Anything else is refused, naming the range found.
  """
  file_path = pathlib.Path(path)
  if not file_path.is_file():
    raise DataError(f"The .npz file {path} does not exist.")
  try:
    with np.load(file_path) as arrays:
      key = next((k for k in ("x", "images", "image", "data") if k in arrays), None)
      if key is None:
        raise DataError(f"{path} has no array named 'x' or 'images' (found {sorted(arrays)}).")
      x = arrays[key]
      label_key = next((k for k in ("label", "labels", "y") if k in arrays), None)
      labels = arrays[label_key] if label_key else None
  except (OSError, ValueError) as error:
    raise DataError(f"{path} is not a readable .npz file ({error}).") from None
  if x.ndim == 3:
    x = x[..., None]
  if x.ndim not in (2, 4):
    raise DataError(f"{path}: '{key}' has shape {x.shape}; expected images [N, H, W, C] or "
                    f"[N, H, W], or points [N, D].")
  if x.ndim == 4:
    x = _npz_pixels(x, path, float_pixels)
  elif not np.all(np.isfinite(x)):
    raise DataError(f"{path}: '{key}' holds NaN or infinite values.")
  return array_source(x, labels, num_classes, is_image=x.ndim == 4, description=f"{path}")


def _npz_pixels(x: np.ndarray, path: str, float_pixels: str) -> np.ndarray:
  """`x` as uint8 pixels or float pixels in [-1, 1]; refuses values outside their range."""
  if len(x) == 0:
    return x
  if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
    low, high = int(x.min()), int(x.max())
    if low < 0 or high > 255:
      raise DataError(f"{path}: integer pixels run from {low} to {high}; they must lie in "
                      f"0..255.")
    return x.astype(np.uint8)
  if not np.all(np.isfinite(x)):
    bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
    raise DataError(f"{path}: {bad} pixel values are NaN or infinite.")
  if float_pixels not in FLOAT_PIXELS:
    raise DataError(f"data.float_pixels must be one of {', '.join(FLOAT_PIXELS)}; "
                    f"got {float_pixels!r}.")
  low, high = float(x.min()), float(x.max())
  bounds = (-1.0, 1.0) if float_pixels == "-1..1" else (0.0, 1.0)
  if low < bounds[0] - 1e-6 or high > bounds[1] + 1e-6:
    hint = (" They look like 0..255 values: store them as uint8." if high > 1.0 + 1e-6 else
            " Set --config.data.float_pixels=0..1 if they are in [0, 1]." if low >= 0 else "")
    raise DataError(f"{path}: float pixels run from {low:g} to {high:g}, outside the declared "
                    f"range {float_pixels} (--config.data.float_pixels).{hint}")
  x = x.astype(np.float32)
  return x * 2.0 - 1.0 if float_pixels == "0..1" else x


# ----------------------------------------------------------------------------- image folders


def _existing_dir(directory: str) -> pathlib.Path:
  if not directory:
    raise DataError("No data path given: set --config.data.path.")
  path = pathlib.Path(directory).expanduser()
  if not path.is_dir():
    raise DataError(f"The data directory {directory} does not exist.")
  return path


def list_images(directory: str) -> tuple[list[str], list[int], list[str]]:
  """All images below `directory`, sorted; first-level sub-folders become class labels."""
  root = _existing_dir(directory)
  files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
  if not files:
    raise DataError(f"No .jpg/.jpeg/.png images found under {directory}.")
  classes = sorted({p.relative_to(root).parts[0] for p in files if len(p.relative_to(root).parts) > 1})
  class_index = {c: i for i, c in enumerate(classes)}
  labels = [class_index.get(p.relative_to(root).parts[0], 0) if classes else 0 for p in files]
  return [str(p) for p in files], labels, classes


# Channels `tf.io.decode_image` gives a file whose header reports this PIL mode.
_MODE_CHANNELS = {"1": 1, "L": 1, "I": 1, "I;16": 1, "F": 1, "LA": 2, "La": 2, "RGB": 3,
                  "YCbCr": 3, "P": 3, "RGBA": 4, "RGBa": 4, "PA": 4, "CMYK": 4}


def read_image_headers(paths: list[str], verify: bool = True) -> list[tuple[int, int, int]]:
  """`(height, width, channels)` of every image from its header, naming the first unreadable
  file; `verify` also checks each file's integrity (slower: the whole file is read)."""
  from PIL import Image  # matplotlib depends on Pillow

  shapes = []
  for path in paths:
    try:
      with Image.open(path) as image:
        width, height = image.size
        channels = _MODE_CHANNELS.get(image.mode, 3)
        if image.mode == "P" and "transparency" in image.info:
          channels = 4
        if verify:
          image.verify()
    except Exception as error:  # noqa: BLE001 -- any failure means the file is unusable
      raise DataError(f"Corrupt or unreadable image file {path}: {error}") from None
    shapes.append((height, width, channels))
  return shapes


def check_image_shapes(paths: list[str], shapes: list[tuple[int, int, int]], channels: int,
                       convert_channels: bool, image_size: int, resize: bool) -> None:
  """Refuses images that would not batch or that differ from the config, naming a file and
  the setting to change."""
  if channels and not convert_channels:
    for path, (_, _, found) in zip(paths, shapes):
      if found != channels:
        raise DataError(
            f"{path} has {found} channel(s) but the config asks for {channels} "
            f"(--config.data.channels). Set --config.data.convert_channels=True to convert every "
            f"image to {channels} channel(s), or --config.data.channels to what the data holds.")
  elif not channels:
    first = {}
    for path, (_, _, found) in zip(paths, shapes):
      first.setdefault(found, path)
    if len(first) > 1:
      examples = ", ".join(f"{path} has {found}" for found, path in sorted(first.items()))
      raise DataError(
          f"The images hold different numbers of channels ({examples}). Set "
          f"--config.data.channels=N and --config.data.convert_channels=True to convert them all.")
  if resize:
    return
  reference_path, reference = paths[0], shapes[0][:2]
  if image_size:
    reference_path, reference = "the config", (image_size, image_size)
  for path, (height, width, _) in zip(paths, shapes):
    if (height, width) != reference:
      raise DataError(
          f"{path} is {height}x{width} but {reference_path} "
          f"{'asks for' if image_size else 'is'} {reference[0]}x{reference[1]}, and images are "
          f"not resized. Set --config.data.resize=True with --config.data.image_size=N to resize "
          f"and centre-crop every image to NxN.")


def image_folder_source(directory: str, channels: int, verify: bool = True,
                        convert_channels: bool = False, image_size: int = 0,
                        resize: bool = False) -> Source:
  """Images in a folder tree (recursive); class sub-folders become labels.

  Every file's header is read first, so mixed sizes or channel counts are refused before
  training with the name of a file; channels are converted only with `convert_channels`.
  """
  input_only()
  paths, labels, classes = list_images(directory)
  check_image_shapes(paths, read_image_headers(paths, verify), channels, convert_channels,
                     image_size, resize)
  path_tensor = tf.constant(paths)
  label_tensor = tf.constant(np.asarray(labels, np.int32))

  def decode(example):
    raw = tf.io.read_file(tf.gather(path_tensor, example["index"]))
    image = tf.io.decode_image(raw, channels=channels, expand_animations=False)
    return {"x": image, "label": tf.gather(label_tensor, example["index"])}

  indices = tf.data.Dataset.range(len(paths)).map(lambda i: {"index": i})
  return Source(indices, decode, len(paths), len(classes),
                description=f"image folder {directory} ({len(paths)} images, "
                f"{len(classes)} classes)")


# ----------------------------------------------------------------------------- text


def text_source(entries: list[str], data_config: Mapping[str, Any], description: str) -> Source:
  """Character ids `[seq_len]` per entry, with the vocabulary built from these entries."""
  vocabulary = Vocabulary.build(entries, data_config["seq_len"], data_config["max_vocab_size"])
  ids = vocabulary.encode(entries)
  source = array_source(ids, is_image=False, description=(
      f"{description} ({len(ids)} entries, {len(vocabulary)} symbols)"))
  source.vocabulary = vocabulary
  return source


def text_file_source(data_config: Mapping[str, Any]) -> Source:
  """A text file, or every file below a folder: one entry per line or per separated block."""
  path = data_config["path"]
  if not path:
    raise DataError("A text source needs --config.data.path (a file or a folder of files).")
  entries = read_entries(path, data_config["separator"], data_config["max_examples"],
                         data_config.get("encoding", "utf-8"))
  return text_source(entries, data_config, f"text {path}")


def tfds_text_source(data_config: Mapping[str, Any]) -> Source:
  """Sentences of a TFDS text set (`lm1b`, the Billion Word benchmark, by default)."""
  input_only()
  import tensorflow_datasets as tfds  # slow to import: only TFDS sources need it

  name, split = data_config["name"], data_config["split"]
  try:
    builder = tfds.builder(name, data_dir=data_config.get("tfds_data_dir") or None)
    if data_config.get("download", False):
      builder.download_and_prepare()
    dataset = builder.as_dataset(split=split, shuffle_files=False)
  except (tfds.core.registered.DatasetNotFoundError, AssertionError, FileNotFoundError) as error:
    raise DataError(
        f"TFDS text set {name!r} (split {split!r}) is not available in "
        f"{data_config.get('tfds_data_dir') or 'the default TFDS directory'}: {error}. Prepare "
        f"it first, set --config.data.download=True, or train on local text with "
        f"--config.data.source=text --config.data.path=FILE_OR_FOLDER.") from None
  if "text" not in builder.info.features:
    raise DataError(f"TFDS data set {name!r} has no 'text' feature.")
  if data_config["max_examples"]:
    dataset = dataset.take(data_config["max_examples"])
  entries = [example["text"].decode("utf-8", errors="replace").strip()
             for example in dataset.as_numpy_iterator()]
  if not entries:
    raise DataError(f"TFDS text set {name}:{split} is empty.")
  return text_source(entries, data_config, f"TFDS {name}:{split}")


# ----------------------------------------------------------------------------- TFDS


def tfds_source(name: str, split: str, data_dir: str | None, download: bool) -> Source:
  """A TFDS data set by name; nothing is downloaded unless `download` is set."""
  input_only()
  import tensorflow_datasets as tfds  # slow to import: only TFDS sources need it

  try:
    builder = tfds.builder(name, data_dir=data_dir or None)
    if download:
      builder.download_and_prepare()
    info = builder.info
    image_key = next((k for k in ("image", "img") if k in info.features), None)
    if image_key is None:
      raise DataError(f"TFDS data set {name!r} has no 'image' feature.")
    # Images stay encoded until after shuffling and sharding, so each process decodes only
    # its own examples and the shuffle buffer holds compressed bytes.
    dataset = builder.as_dataset(split=split, shuffle_files=False,
                                 decoders={image_key: tfds.decode.SkipDecoding()},
                                 read_config=tfds.ReadConfig(shuffle_seed=0))
  except (tfds.core.registered.DatasetNotFoundError, AssertionError, FileNotFoundError) as error:
    raise DataError(
        f"TFDS data set {name!r} (split {split!r}) is not available in "
        f"{data_dir or 'the default TFDS directory'}: {error}. Prepare it first, point "
        f"--config.data.tfds_data_dir at it, or set --config.data.download=True.") from None
  label_key = "label" if "label" in info.features else None
  num_classes = int(info.features[label_key].num_classes) if label_key else 0

  def pick(example):
    out = {"x": example[image_key]}
    if label_key:
      out["label"] = tf.cast(example[label_key], tf.int32)
    return out

  def decode(example):
    return {**example, "x": info.features[image_key].decode_example(example["x"])}

  try:
    num_examples = int(info.splits[split].num_examples)
  except Exception:  # noqa: BLE001 -- sub-split expressions
    num_examples = -1
  return Source(dataset.map(pick), decode, num_examples, num_classes,
                description=f"TFDS {name}:{split}")


# ----------------------------------------------------------------------------- semi-supervised


def choose_labelled(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
  """Sorted indices of `per_class` examples of every class, drawn without replacement."""
  rng = np.random.default_rng(seed)
  chosen = []
  for label in np.unique(labels):
    members = np.flatnonzero(labels == label)
    if len(members) < per_class:
      raise DataError(f"Class {label} has {len(members)} examples, fewer than the "
                      f"{per_class} labelled ones asked for (--config.data.labelled_per_class).")
    chosen.append(rng.choice(members, per_class, replace=False))
  return np.sort(np.concatenate(chosen))


def source_labels(source: Source) -> np.ndarray:
  """Every example's label, in source order."""
  if source.arrays is not None and "label" in source.arrays:
    return np.asarray(source.arrays["label"])
  if not source.num_classes:
    raise DataError(f"{source.description or 'The data set'} has no labels.")
  labels = source.dataset.map(source.decode, num_parallel_calls=tf.data.AUTOTUNE)
  return np.concatenate(list(labels.map(lambda e: e["label"]).batch(4096).as_numpy_iterator()))


def labelled_subset(source: Source, per_class: int, seed: int) -> Source:
  """Semi-supervised data: every example with its label hidden (-1), followed by `per_class`
  labelled examples of each class repeated to as many again, so that about half of any batch
  is labelled, as each iteration of Salimans et al.'s semi-supervised GAN takes one labelled
  and one unlabelled batch. The labelled examples are chosen by `seed`."""
  labels = source_labels(source)
  chosen = choose_labelled(labels, per_class, seed)
  repeats = max(1, len(labels) // len(chosen))
  chosen_positions = tf.constant(chosen, tf.int64)
  mark = lambda flag: (lambda example: {**example, "labelled": tf.constant(flag)})  # noqa: E731
  unlabelled = source.dataset.map(mark(False))
  labelled = (source.dataset.enumerate()
              .filter(lambda position, _: tf.reduce_any(tf.equal(position, chosen_positions)))
              .map(lambda _, example: mark(True)(example))
              .cache()
              .repeat(repeats))

  def decode(example):
    example = dict(example)
    is_labelled = example.pop("labelled")
    decoded = dict(source.decode(example))
    decoded["label"] = tf.where(is_labelled, decoded["label"], tf.constant(-1, tf.int32))
    return decoded

  return dataclasses.replace(
      source, dataset=unlabelled.concatenate(labelled), decode=decode,
      num_examples=len(labels) + repeats * len(chosen), arrays=None,
      description=f"{source.description or 'the data set'} ({per_class} labels per class)")


def make_source(data_config: Mapping[str, Any], seed: int) -> Source:
  """Builds the source named by `data_config.source`."""
  input_only()
  kind = data_config["source"]
  if kind == "toy":
    return toy_source(data_config["name"], data_config["toy_pool_size"], seed)
  if kind == "tfds" and data_config.get("seq_len"):
    return tfds_text_source(data_config)
  if kind == "text":
    return text_file_source(data_config)
  if kind == "tfds":
    return tfds_source(data_config["name"], data_config["split"],
                       data_config.get("tfds_data_dir"), data_config.get("download", False))
  if kind == "mnist_idx":
    return mnist_idx_source(data_config["path"], data_config["split"])
  if kind == "image_folder":
    return image_folder_source(data_config["path"], data_config["channels"],
                               data_config.get("verify_images", True),
                               data_config.get("convert_channels", False),
                               data_config.get("image_size", 0), data_config.get("resize", False))
  if kind == "npz":
    return npz_source(data_config["path"], data_config.get("float_pixels", "-1..1"),
                      data_config.get("num_classes", 0))
  raise DataError(f"Unknown data source {kind!r}; choose toy, tfds, mnist_idx, image_folder, "
                  f"npz or text.")
