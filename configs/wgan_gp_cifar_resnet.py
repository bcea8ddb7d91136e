"""WGAN-GP Table 3: the CIFAR-10 ResNet (`gan_cifar_resnet.py`), unsupervised or AC-GAN conditional.

`wgan_gp_cifar_resnet[:acgan]` (`configs/arguments.py`: CONDITIONING none | acgan). Official
settings: DIM_G = DIM_D = 128, BatchNorm in
the generator (class-conditional for AC-GAN), no normalization in the critic, batch 64 for the
critic and 128 for the generator, 5 critic iterations, lambda = 10, Adam(2e-4, b1 0, b2 0.9) with
both learning rates decayed linearly to 0 over 100,000 generator iterations, pixels scaled as
x / 128 - 1 plus U[0, 1/128) dequantization noise. AC-GAN: critic classification loss weight 1
on real data, generator classification loss weight 0.1; critic fakes use the real batch's labels.
Published: Inception score 7.86 (unsupervised) and 8.42 (supervised).
"""

from wgan_jax.config import adam, base_config, finalize
from wgan_jax.configs import arguments


def get_config(arg: str = ""):
  conditioning = arguments.parse(arg, conditioning="none").conditioning
  conditional = arguments.check_choice("conditioning", conditioning, ("none", "acgan")) == "acgan"
  c = base_config()
  c.data.update(dict(source="tfds", name="cifar10", image_size=32, channels=3, dequantize=True,
                     use_labels=conditional))
  c.model.generator = dict(kind="resnet", latent_dim=128, width=128, normalization="batch")
  c.model.critic = dict(kind="resnet", width=128, normalization="none")
  c.constraint.weight = 10.0
  c.optimizer.generator = adam(2e-4, 0.0, 0.9)
  c.optimizer.critic = adam(2e-4, 0.0, 0.9)
  c.optimizer.linear_decay_steps = 100_000
  c.batch_size = 64
  c.generator_batch_multiple = 2
  c.n_critic = 5
  c.num_steps = 100_000
  c.acgan_scale = 1.0
  c.acgan_scale_generator = 0.1
  c.num_sample_images = 100
  return finalize(c)
