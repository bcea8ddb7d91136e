"""The baselines of both papers on the same machinery: standard GAN (DCGAN) and LSGAN, and the
original minimax GAN.

`gan_baseline:METHOD,ARCH,DATASET` (`configs/arguments.py`), METHOD in dcgan | minimax |
lsgan; ARCH and DATASET as in `wgan_lsun_bedrooms` (the WGAN paper's GAN comparisons, Figs. 5-7
and the JS curves of Figs. 3-4). One discriminator update per generator update, no Lipschitz
constraint. dcgan: Adam(2e-4, b1 0.5, b2 0.999), the DCGAN settings; minimax: the same with the saturating
generator loss E[log(1 - D(G(z)))] of Goodfellow et al. (2014); LSGAN: TensorFlow 1's
RMSProp(1e-4), as in the WGAN-GP code's LSGAN mode (`gan_64x64.py`).
"""

from wgan_jax.config import base_config, finalize, tf1_rmsprop, use_standard_gan
from wgan_jax.configs import arguments
from wgan_jax.configs.wgan_lsun_bedrooms import DATASETS, wgan_models


def get_config(arg: str = ""):
  args = arguments.parse(arg, method="dcgan", arch="dcgan", dataset="lsun")
  method = arguments.check_method(args.method, ("dcgan", "minimax", "lsgan"))
  arch, dataset = args.arch, arguments.check_choice("dataset", args.dataset, DATASETS)
  c = base_config()
  c.data.update(DATASETS[dataset])
  models = wgan_models(arch)
  c.model.generator = models["generator"]
  c.model.critic = models["critic"]
  use_standard_gan(c)
  if method == "lsgan":
    c.objective = "lsgan"
    c.optimizer.generator = tf1_rmsprop(1e-4)
    c.optimizer.critic = tf1_rmsprop(1e-4)
  elif method == "minimax":
    c.objective = "minimax"
  c.batch_size = 64
  c.num_steps = 100_000
  return finalize(c)
