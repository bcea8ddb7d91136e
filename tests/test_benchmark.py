import pytest

from configs import wgan_gp_cifar_resnet
from wgan_jax import benchmark


def _tiny_resnet(arg: str):
  c = wgan_gp_cifar_resnet.get_config(arg)
  c.model.generator.width = c.model.critic.width = 4
  c.batch_size, c.n_critic = 4, 1
  return c


def test_bad_dispatch_and_batch_are_refused():
  with pytest.raises(ValueError, match="dispatch"):
    benchmark.build_jax_step(_tiny_resnet(""), dispatch="eager")
  with pytest.raises(ValueError, match="divide"):
    benchmark.build_jax_step(_tiny_resnet(""), devices=3)
