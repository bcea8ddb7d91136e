"""What a config declares about its data, read without opening it."""

import pytest
from PIL import Image

from wgan_jax.configs import default, wgan_gp_cifar_resnet
from wgan_jax.data import DataError
from wgan_jax.data.shapes import declared_example_shape, declared_num_classes


def _tiny_resnet(arg: str):
  return wgan_gp_cifar_resnet.get_config(arg)


def test_example_shape_comes_from_the_config():
  assert declared_example_shape(default.get_config().data) == (2,)
  assert declared_example_shape(_tiny_resnet("").data) == (32, 32, 3)
  data = _tiny_resnet("").data
  data.image_size = 0  # "keep the source's size": unknown without the data
  with pytest.raises(DataError, match="image_size"):
    declared_example_shape(data)


def test_class_count_of_a_conditional_config_needs_no_data(tmp_path):
  acgan = _tiny_resnet("acgan")
  acgan.data.tfds_data_dir = str(tmp_path)  # empty: the count comes from the TFDS metadata
  assert declared_num_classes(acgan.data) == 10
  assert declared_num_classes(_tiny_resnet("").data) == 0

  for name in ("cat", "dog", "emu"):
    (tmp_path / "folder" / name).mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "folder" / name / "a.png")
  acgan.data.update(dict(source="image_folder", path=str(tmp_path / "folder")))
  assert declared_num_classes(acgan.data) == 3

  acgan.data.update(dict(source="tfds", name="no_such_data_set"))
  with pytest.raises(DataError, match="no_such_data_set"):
    declared_num_classes(acgan.data)
