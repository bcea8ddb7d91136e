"""WGAN-GP `gan_mnist.py` (and Fig. 5b's models): MNIST 28x28, DIM = 64, batch 50, 5 critic iterations.

`wgan_gp_mnist:METHOD` (`configs/arguments.py`), METHOD in wgan-gp (default) | wgan | dcgan,
as the official MODE flag: wgan-gp has no BatchNorm and Adam(1e-4, 0.5, 0.9) with lambda = 10; wgan adds
BatchNorm to both networks and uses TensorFlow 1's RMSProp(5e-5) with c = 0.01; dcgan uses the
standard GAN loss with Adam(2e-4, 0.5) and, unlike `gan_cifar.py`, no BatchNorm. Data: the local IDX files by default (set --config.data.path), or
--config.data.source=tfds --config.data.name=mnist. The official generator ends in a sigmoid
over [0, 1] pixels; here pixels are in [-1, 1] and the generator ends in tanh.
"""

from wgan_jax.config import (base_config, finalize, tf1_rmsprop, use_standard_gan,
                             use_weight_clipping)
from wgan_jax.configs import arguments


def get_config(arg: str = ""):
  mode = arguments.check_method(arguments.parse(arg, method="wgan-gp").method,
                                ("wgan-gp", "wgan", "dcgan"))
  c = base_config()
  c.data.update(dict(source="mnist_idx", name="mnist", path="", image_size=28, channels=1))
  norm = "batch" if mode == "wgan" else "none"
  c.model.generator = dict(kind="gp_dcgan", latent_dim=128, width=64, normalization=norm)
  c.model.critic = dict(kind="gp_dcgan", width=64, normalization=norm)
  c.batch_size = 50
  c.n_critic = 5
  c.num_steps = 200_000
  if mode == "wgan-gp":
    c.constraint.kind = "penalty"
    c.constraint.weight = 10.0
  elif mode == "wgan":
    use_weight_clipping(c, optimizer=tf1_rmsprop)
  else:
    use_standard_gan(c)
  c.num_sample_images = 128
  c.eval.metrics = ("mnist",)  # the shipped classifier: Frechet distance and class entropy
  c.eval.every = 5000
  c.eval.num_samples = 10_000
  return finalize(c)
