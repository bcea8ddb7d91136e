import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from wgan_jax.config import base_config
from wgan_jax.data import pipeline, sources, toy
from wgan_jax.metrics.lowdim import mode_statistics


def _data_config(**overrides):
  config = base_config().data
  config.update(overrides)
  return config


def _write_idx(path, array, gz):
  header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                      *array.shape)
  opener = gzip.open if gz else open
  with opener(path, "wb") as f:
    f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_dir(tmp_path):
  rng = np.random.default_rng(0)
  _write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (40, 28, 28)), True)
  _write_idx(tmp_path / "train-labels-idx1-ubyte", rng.integers(0, 10, (40,)), False)
  return tmp_path


def _first_group(source, config, devices=1, n_critic=2, batch=4, **kw):
  it = pipeline.make_pipeline(source, config, per_device_batch=batch, local_devices=devices,
                              n_critic=n_critic, seed=0, **kw)
  return next(it), it


def test_toy_sets_match_their_modes():
  for name in ("8gaussians", "25gaussians"):
    centers, std = toy.TOY_MODES[name]
    stats = mode_statistics(toy.toy_dataset(name, 5000), centers, std)
    assert stats["modes_covered"] == len(centers)
    assert stats["high_quality_share"] > 0.98
  roll = toy.toy_dataset("swissroll", 2000)
  assert roll.shape == (2000, 2) and np.abs(roll).max() < 3
  lines = toy.parallel_lines(10, np.random.default_rng(0), theta=0.5)
  assert np.all(lines[:, 0] == 0.5) and np.all((lines[:, 1] >= 0) & (lines[:, 1] <= 1))


@pytest.mark.parametrize("devices", [1, 4])
def test_mnist_idx_batches(mnist_dir, devices):
  config = _data_config(source="mnist_idx", path=str(mnist_dir), use_labels=True)
  source = sources.make_source(config, 0)
  assert source.num_classes == 10 and source.num_examples == 40
  group, _ = _first_group(source, config, devices=devices)
  assert group["x"].shape == (devices, 2, 4, 28, 28, 1)
  assert group["label"].shape == (devices, 2, 4)
  assert group["x"].dtype == np.float32 and group["x"].min() >= -1 and group["x"].max() <= 1


def test_idx_errors(tmp_path, mnist_dir):
  with pytest.raises(sources.DataError, match="does not exist"):
    sources.mnist_idx_source(str(tmp_path / "missing"))
  (tmp_path / "bad").mkdir()
  (tmp_path / "bad" / "train-images-idx3-ubyte").write_bytes(b"\x01\x02\x03\x04")
  with pytest.raises(sources.DataError, match="not an IDX file"):
    sources.read_idx(tmp_path / "bad" / "train-images-idx3-ubyte")
  truncated = tmp_path / "t.idx"
  truncated.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 100) + b"\x00" * 10)
  with pytest.raises(sources.DataError, match="truncated"):
    sources.read_idx(truncated)


def _image_tree(root, size=(12, 10)):
  rng = np.random.default_rng(0)
  for cls in ("cat", "dog"):
    (root / cls / "nested").mkdir(parents=True)
    for i in range(3):
      pixels = rng.integers(0, 256, size + (3,), dtype=np.uint8)
      Image.fromarray(pixels).save(root / cls / f"{i}.png")
      Image.fromarray(pixels).save(root / cls / "nested" / f"{i}.jpg")
  return root


def test_image_folder_with_classes_and_resize(tmp_path):
  root = _image_tree(tmp_path / "images")
  config = _data_config(source="image_folder", path=str(root), channels=3, image_size=8,
                        resize=True, use_labels=True)
  source = sources.make_source(config, 0)
  assert source.num_examples == 12 and source.num_classes == 2
  shape = pipeline.check_example_shape(pipeline.peek(source), config, source.description)
  assert shape == (8, 8, 3)
  group, _ = _first_group(source, config)
  assert group["x"].shape == (1, 2, 4, 8, 8, 3)
  assert set(np.unique(group["label"])) <= {0, 1}


def test_image_folder_errors(tmp_path):
  root = _image_tree(tmp_path / "images")
  (root / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
  with pytest.raises(sources.DataError, match="broken.jpg"):
    sources.image_folder_source(str(root), 3)
  (tmp_path / "empty").mkdir()
  with pytest.raises(sources.DataError, match="No .jpg"):
    sources.image_folder_source(str(tmp_path / "empty"), 3)
  with pytest.raises(sources.DataError, match="No data path"):
    sources.image_folder_source("", 3)


def test_image_folder_refuses_mixed_sizes_and_channels_naming_a_file(tmp_path):
  root = _image_tree(tmp_path / "images")
  odd = root / "dog" / "wide.png"
  Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(odd)
  with pytest.raises(sources.DataError, match=r"wide\.png is 12x16 but .* is 12x10.*data\.resize"):
    sources.image_folder_source(str(root), 3)
  with pytest.raises(sources.DataError, match=r"0\.png is 12x10 but the config asks for 8x8"):
    sources.image_folder_source(str(root), 3, image_size=8)
  sources.image_folder_source(str(root), 3, image_size=8, resize=True)  # resized: any size
  odd.unlink()

  grey = root / "cat" / "grey.png"
  Image.fromarray(np.zeros((12, 10), np.uint8)).save(grey)
  with pytest.raises(sources.DataError, match=r"grey\.png has 1 channel\(s\) but the config asks "
                     r"for 3.*convert_channels=True"):
    sources.image_folder_source(str(root), 3)
  with pytest.raises(sources.DataError, match=r"different numbers of channels .*grey\.png has 1"):
    sources.image_folder_source(str(root), 0)
  config = _data_config(source="image_folder", path=str(root), channels=3, convert_channels=True)
  source = sources.make_source(config, 0)  # asked for: every image decodes to RGB
  shapes = {tuple(source.decode(e)["x"].shape) for e in source.dataset}
  assert shapes == {(12, 10, 3)}


def test_npz_source_and_shape_errors(tmp_path):
  path = tmp_path / "data.npz"
  np.savez(path, x=np.zeros((10, 16, 16, 3), np.uint8), labels=np.arange(10) % 2)
  config = _data_config(source="npz", path=str(path), channels=1)
  source = sources.make_source(config, 0)
  with pytest.raises(sources.DataError, match="3 channel.*asks for 1"):
    pipeline.check_example_shape(pipeline.peek(source), config, source.description)
  config = _data_config(source="npz", path=str(path), image_size=32)
  with pytest.raises(sources.DataError, match="16x16.*32x32.*resize"):
    pipeline.check_example_shape(pipeline.peek(source), config, source.description)
  with pytest.raises(sources.DataError, match="does not exist"):
    sources.npz_source(str(tmp_path / "nope.npz"))
  np.savez(tmp_path / "empty.npz", x=np.zeros((0, 4, 4, 1), np.uint8))
  with pytest.raises(sources.DataError, match="empty"):
    sources.npz_source(str(tmp_path / "empty.npz"))


@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.float64])
def test_npz_pixels_of_any_dtype_in_0_255_are_refused_or_scaled_as_uint8(tmp_path, dtype):
  pixels = np.arange(2 * 4 * 4).reshape(2, 4, 4, 1) * 8  # 0..248
  np.savez(tmp_path / "wide.npz", x=pixels.astype(dtype))
  np.savez(tmp_path / "bytes.npz", x=pixels.astype(np.uint8))
  if np.issubdtype(dtype, np.integer):  # scaled exactly as the uint8 pixels are
    wide, narrow = (sources.npz_source(str(tmp_path / f"{name}.npz")).arrays["x"]
                    for name in ("wide", "bytes"))
    assert wide.dtype == np.uint8
    np.testing.assert_array_equal(wide, narrow)
  else:  # float64 in 0..255: not [-1, 1] pixels
    with pytest.raises(sources.DataError, match=r"float pixels run from 0 to 248, outside the "
                       r"declared range -1\.\.1 \(--config\.data\.float_pixels\).*uint8"):
      sources.npz_source(str(tmp_path / "wide.npz"))


def test_npz_float_pixels_follow_their_declared_range_and_must_be_finite(tmp_path):
  unit = np.linspace(0, 1, 32).reshape(2, 4, 4, 1)
  np.savez(tmp_path / "unit.npz", x=unit)
  x = sources.npz_source(str(tmp_path / "unit.npz"), float_pixels="0..1").arrays["x"]
  np.testing.assert_allclose([x.min(), x.max()], [-1, 1])
  np.testing.assert_allclose(sources.npz_source(str(tmp_path / "unit.npz")).arrays["x"], unit)
  with pytest.raises(sources.DataError, match=r"-1 to 1, outside the declared range 0\.\.1"):
    np.savez(tmp_path / "signed.npz", x=unit * 2 - 1)
    sources.npz_source(str(tmp_path / "signed.npz"), float_pixels="0..1")
  unit[0, 0, 0, 0] = np.nan
  np.savez(tmp_path / "nan.npz", x=unit)
  with pytest.raises(sources.DataError, match="1 pixel values are NaN or infinite"):
    sources.npz_source(str(tmp_path / "nan.npz"))
  np.savez(tmp_path / "negative.npz", x=-np.ones((2, 4, 4, 1), np.int32))
  with pytest.raises(sources.DataError, match=r"integer pixels run from -1 to -1; .*0\.\.255"):
    sources.npz_source(str(tmp_path / "negative.npz"))


def test_npz_arrays_of_an_unusable_rank_and_labels_that_skip_classes_are_refused(tmp_path):
  np.savez(tmp_path / "rank5.npz", x=np.zeros((2, 2, 2, 2, 2), np.uint8))
  with pytest.raises(sources.DataError, match=r"shape \(2, 2, 2, 2, 2\); expected images"):
    sources.npz_source(str(tmp_path / "rank5.npz"))
  np.savez(tmp_path / "points.npz", x=np.ones((5, 2), np.float32))
  assert not sources.npz_source(str(tmp_path / "points.npz")).is_image
  labels = np.arange(20) % 10
  labels[3] = 57
  np.savez(tmp_path / "stray.npz", x=np.zeros((20, 4, 4, 1), np.uint8), label=labels)
  with pytest.raises(sources.DataError, match=r"labels run up to 57 but classes 10, 11, .*have no "
                     r"examples.*--config\.data\.num_classes"):
    sources.npz_source(str(tmp_path / "stray.npz"))
  assert sources.npz_source(str(tmp_path / "stray.npz"), num_classes=58).num_classes == 58
  (tmp_path / "junk.npz").write_bytes(b"not a zip")
  with pytest.raises(sources.DataError, match="not a readable .npz"):
    sources.npz_source(str(tmp_path / "junk.npz"))


@pytest.mark.slow  # TFDS's mock builder (10 s); the pipeline after it is tested on other sources
def test_tfds_source_with_mock_data():
  import tensorflow_datasets as tfds
  config = _data_config(source="tfds", name="mnist", use_labels=True)
  with tfds.testing.mock_data(num_examples=16):
    source = sources.make_source(config, 0)
    group, _ = _first_group(source, config, devices=2, batch=2)
  assert group["x"].shape == (2, 2, 2, 28, 28, 1)
  assert source.num_classes == 10


def test_missing_tfds_dataset_is_a_clear_error(tmp_path):
  config = _data_config(source="tfds", name="mnist", tfds_data_dir=str(tmp_path))
  with pytest.raises(sources.DataError, match="download=True"):
    sources.make_source(config, 0)


def test_pipeline_is_deterministic_and_skips_exactly():
  config = _data_config(name="8gaussians", toy_pool_size=5000)
  source = sources.make_source(config, 0)
  it = pipeline.make_pipeline(source, config, per_device_batch=8, local_devices=2, n_critic=3,
                              seed=5)
  groups = [next(it)["x"] for _ in range(5)]
  assert groups[0].shape == (2, 3, 8, 2)
  resumed = pipeline.make_pipeline(source, config, per_device_batch=8, local_devices=2, n_critic=3,
                                   seed=5, skip_groups=3)
  np.testing.assert_array_equal(next(resumed)["x"], groups[3])
  batches, used = pipeline.take_critic_batches(iter([{"x": g} for g in groups]), 7, 3)
  assert batches["x"].shape == (2, 7, 8, 2) and used == 3


def test_process_shards_together_equal_the_single_process_stream(mnist_dir):
  config = _data_config(source="mnist_idx", path=str(mnist_dir), use_labels=True, dequantize=True)
  source = sources.make_source(config, 0)
  kw = dict(per_device_batch=2, n_critic=2, seed=3, skip_groups=1)
  whole = pipeline.make_pipeline(source, config, local_devices=4, **kw)
  shards = [pipeline.make_pipeline(source, config, local_devices=2, global_devices=4,
                                   device_offset=offset, **kw) for offset in (0, 2)]
  for _ in range(3):  # crosses an epoch boundary of the 40 examples
    expected = next(whole)
    parts = [next(shard) for shard in shards]
    for key in ("x", "label"):
      np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), expected[key])
  with pytest.raises(ValueError, match="not within the 4 global devices"):
    pipeline.make_pipeline(source, config, local_devices=2, global_devices=4, device_offset=3, **kw)


def test_a_labelled_subset_hides_all_but_a_few_labels_per_class_and_fills_half_the_data():
  x = np.arange(60, dtype=np.uint8).reshape(60, 1, 1, 1)
  y = np.arange(60) % 5
  source = sources.labelled_subset(sources.array_source(x, y, 5), 2, seed=0)
  arrays = pipeline.load_resident(source, _data_config(use_labels=True))
  ids, labels = arrays["x"][:, 0, 0, 0], arrays["label"]
  assert len(ids) == source.num_examples == 60 + 60  # 10 labelled examples, repeated 6 times
  assert (labels[:60] == -1).all() and (ids[:60] == np.arange(60)).all()
  np.testing.assert_array_equal(labels[60:], y[ids[60:]])  # each labelled one keeps its label
  chosen = np.unique(ids[60:])
  assert len(chosen) == 10 and sorted(np.bincount(y[chosen])) == [2] * 5
  again = sources.labelled_subset(sources.array_source(x, y, 5), 2, seed=0)
  again_arrays = pipeline.load_resident(again, _data_config(use_labels=True))
  np.testing.assert_array_equal(again_arrays["x"], arrays["x"])  # the same seed, the same picks
  group, _ = _first_group(source, _data_config(use_labels=True), n_critic=4, batch=30)
  share = np.mean(group["label"] >= 0)
  assert 0.3 < share < 0.7  # about half of each batch is labelled


def test_a_labelled_subset_larger_than_a_class_is_refused():
  source = sources.array_source(np.zeros((6, 1, 1, 1), np.uint8), np.array([0, 0, 0, 1, 1, 2]), 3)
  with pytest.raises(sources.DataError, match="Class 2 has 1 examples"):
    sources.labelled_subset(source, 2, seed=0)


def test_load_split_reads_a_held_out_split_scaled_with_every_label(mnist_dir):
  rng = np.random.default_rng(1)
  _write_idx(mnist_dir / "t10k-images-idx3-ubyte", rng.integers(0, 256, (7, 28, 28)), False)
  _write_idx(mnist_dir / "t10k-labels-idx1-ubyte", np.arange(7), False)
  config = _data_config(source="mnist_idx", path=str(mnist_dir), use_labels=True,
                        labelled_per_class=1)
  arrays = pipeline.load_split(config, "test")
  assert arrays["x"].shape == (7, 28, 28, 1) and arrays["x"].dtype == np.float32
  assert -1.0 <= arrays["x"].min() and arrays["x"].max() <= 1.0
  np.testing.assert_array_equal(arrays["label"], np.arange(7))
