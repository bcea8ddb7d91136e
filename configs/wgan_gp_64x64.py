"""WGAN-GP `gan_64x64.py`, DCGAN setting: 64x64 images, BatchNorm generator, LayerNorm critic.

The networks are this library's 4x4-kernel DCGAN (the WGAN paper's), standing in for the
official file's 5x5-kernel DCGAN variant; the objective, penalty and optimizer are the official ones.

`wgan_gp_64x64[:DATASET]` (`configs/arguments.py`), DATASET in lsun (TFDS lsun/bedroom, default) | celeb_a |
imagenet64 (TFDS downsampled_imagenet/64x64). DIM = 64, batch 64, 5 critic iterations,
lambda = 10, Adam(1e-4, 0.5, 0.9), 200,000 generator iterations. The generator keeps BatchNorm;
the critic uses LayerNorm, the official replacement for BatchNorm under the penalty.
"""

from wgan_jax.config import base_config, finalize
from wgan_jax.configs import arguments

DATASETS = {
    "lsun": dict(source="tfds", name="lsun/bedroom"),
    "celeb_a": dict(source="tfds", name="celeb_a"),
    "imagenet64": dict(source="tfds", name="downsampled_imagenet/64x64"),
}


def get_config(arg: str = ""):
  dataset = arguments.check_choice("dataset", arguments.parse(arg, dataset="lsun").dataset,
                                   DATASETS)
  c = base_config()
  c.data.update(dict(DATASETS[dataset], image_size=64, channels=3, resize=True))
  c.model.generator = dict(kind="dcgan", latent_dim=128, width=64, n_extra_layers=0,
                           normalization="batch")
  c.model.critic = dict(kind="dcgan", width=64, n_extra_layers=0, normalization="layer")
  c.constraint.weight = 10.0
  c.batch_size = 64
  c.n_critic = 5
  c.num_steps = 200_000
  return finalize(c)
