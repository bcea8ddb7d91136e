"""WGAN-GP `gan_cifar.py` and Fig. 3's four CIFAR-10 runs: the gan_cifar DCGAN at DIM = 128, batch 64.

`wgan_gp_cifar:METHOD` (`configs/arguments.py`), METHOD in
  wgan-gp (the default): lambda = 10, Adam(1e-4, 0.5, 0.9), 5 critic iterations;
  wgan-gp-rmsprop: the same penalty with RMSProp(5e-5) (Fig. 3);
  wgan: weight clipping c = 0.01 with RMSProp(5e-5) (Fig. 3);
  dcgan: the standard GAN loss, Adam(2e-4, 0.5), one discriminator update (Fig. 3).
RMSProp is TensorFlow 1's (`tf.train.RMSPropOptimizer`), as in the official code. As the official
code does for every MODE but 'wgan-gp', wgan and dcgan put BatchNorm after the critic's second
and third convolutions.
Data: TFDS cifar10 by default; --config.data.source=image_folder --config.data.path=DIR for a
local tree. 200,000 generator iterations, as the official code.
"""

from wgan_jax.config import (base_config, finalize, tf1_rmsprop, use_standard_gan,
                             use_weight_clipping)
from wgan_jax.configs import arguments

METHODS = ("wgan-gp", "wgan-gp-rmsprop", "wgan", "dcgan")


def get_config(arg: str = ""):
  mode = arguments.check_method(arguments.parse(arg, method="wgan-gp").method, METHODS)
  c = base_config()
  c.data.update(dict(source="tfds", name="cifar10", image_size=32, channels=3))
  c.model.generator = dict(kind="gp_dcgan", latent_dim=128, width=128, normalization="batch")
  c.model.critic = dict(kind="gp_dcgan", width=128, normalization="none")
  c.batch_size = 64
  c.n_critic = 5
  c.num_steps = 200_000
  c.constraint.weight = 10.0
  if mode == "wgan-gp-rmsprop":
    c.optimizer.generator = tf1_rmsprop(5e-5)
    c.optimizer.critic = tf1_rmsprop(5e-5)
  elif mode == "wgan":
    use_weight_clipping(c, optimizer=tf1_rmsprop)
    c.model.critic.normalization = "batch"  # gan_cifar.py: `if MODE != 'wgan-gp': Batchnorm`
  elif mode == "dcgan":
    use_standard_gan(c)
    c.model.critic.normalization = "batch"
  c.num_sample_images = 100
  return finalize(c)
