import pytest
from PIL import Image

from configs import wgan_gp_cifar_resnet
from wgan_jax import benchmark
from wgan_jax.data.sources import DataError


def _tiny_resnet(arg: str):
  c = wgan_gp_cifar_resnet.get_config(arg)
  c.model.generator.width = c.model.critic.width = 4
  c.batch_size, c.n_critic = 4, 1
  return c


def test_class_count_of_a_conditional_config_needs_no_data(tmp_path):
  acgan = _tiny_resnet("acgan")
  acgan.data.tfds_data_dir = str(tmp_path)  # empty: the count comes from the TFDS metadata
  assert benchmark.example_num_classes(acgan) == 10
  assert benchmark.example_num_classes(_tiny_resnet("")) == 0

  for name in ("cat", "dog", "emu"):
    (tmp_path / "folder" / name).mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "folder" / name / "a.png")
  acgan.data.update(dict(source="image_folder", path=str(tmp_path / "folder")))
  assert benchmark.example_num_classes(acgan) == 3

  acgan.data.update(dict(source="tfds", name="no_such_data_set"))
  with pytest.raises(DataError, match="no_such_data_set"):
    benchmark.example_num_classes(acgan)


def test_bad_dispatch_and_batch_are_refused():
  with pytest.raises(ValueError, match="dispatch"):
    benchmark.build_jax_step(_tiny_resnet(""), dispatch="eager")
  with pytest.raises(ValueError, match="divide"):
    benchmark.build_jax_step(_tiny_resnet(""), devices=3)
