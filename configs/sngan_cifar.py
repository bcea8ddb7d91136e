"""SN-GAN on CIFAR-10 (Miyato et al. 2018): the standard CNN with spectral normalization and the
hinge loss.

Architecture: the paper's Table 3 standard CNN at 32 px (`models.sngan`, width 64, latent 128).
Optimizer and critic updates: the paper's Table 1 setting C, Adam(2e-4, beta1 0.5, beta2 0.999)
for both networks with one discriminator update per generator update, which is what the authors'
chainer-gan-lib runs SN-DCGAN with (`--n_dis 1 --adam_beta1 0.5 --adam_beta2 0.999`, alpha
2e-4 by default). Batch 64; 100,000 generator updates (chainer-gan-lib's default iteration
count). The paper's best standard-CNN score with the hinge loss (its Table 2) is reported at
these settings' scale; at CPU scale this config is a smoke test of the method, not that result.

`sngan_cifar:METHOD` (`configs/arguments.py`), METHOD in
  hinge (the default): the hinge loss (the paper's Table 2 "SN-GANs (hinge loss)");
  gan: the non-saturating GAN loss the paper's other SN-GAN results use.
Data: TFDS cifar10 by default; --config.data.source=image_folder --config.data.path=DIR.
"""

from wgan_jax.config import adam, base_config, finalize
from wgan_jax.configs import arguments

METHODS = ("hinge", "gan")


def get_config(arg: str = ""):
  objective = arguments.check_method(arguments.parse(arg, method="hinge").method, METHODS)
  c = base_config()
  c.data.update(dict(source="tfds", name="cifar10", image_size=32, channels=3))
  c.model.generator = dict(kind="sngan", latent_dim=128, width=64, normalization="batch")
  c.model.critic = dict(kind="sngan", width=64)
  c.objective = objective
  c.constraint.kind = "spectral"
  c.optimizer.generator = adam(2e-4, 0.5, 0.999)
  c.optimizer.critic = adam(2e-4, 0.5, 0.999)
  c.batch_size = 64
  c.n_critic = 1
  c.num_steps = 100_000
  c.num_sample_images = 100
  return finalize(c)
