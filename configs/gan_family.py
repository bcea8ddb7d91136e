"""Settings shared by the GAN-family configs on MNIST (semi-supervised GAN, CatGAN, InfoGAN).

Not a config itself: helpers the family's `get_config()` functions call.
"""

import ml_collections


def mlp_networks(c: ml_collections.ConfigDict, latent_dim: int = 100, **critic) -> None:
  """The WGAN paper's MLPs on both sides (3 hidden ReLU layers of 512 units; tanh output), with
  `critic` options (the head's conditioning and width) added to the critic's."""
  c.model.generator = dict(kind="mlp", latent_dim=latent_dim, width=512, depth=3,
                           output_activation="tanh")
  c.model.critic = dict(kind="mlp", width=512, depth=3, **critic)


def scored_on_mnist(c: ml_collections.ConfigDict, num_steps: int, eval_every: int) -> None:
  """`num_steps` iterations, scored every `eval_every` by the shipped MNIST classifier on 2,000
  samples, with a 10x10 sample grid and a checkpoint at each evaluation."""
  c.num_steps = num_steps
  c.eval.metrics = ("mnist",)
  c.eval.every = eval_every
  c.eval.num_samples = 2000
  c.log_every = 100
  c.sample_every = c.checkpoint_every = eval_every
  c.num_sample_images = 100
