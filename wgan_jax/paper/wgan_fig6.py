"""WGAN Fig. 6: WGAN against standard-GAN samples with a generator without BatchNorm and the
same number of filters at every layer: WGAN still trains it."""

from __future__ import annotations

from wgan_jax.paper import wgan_mnist_runs


def get_config():
  c = wgan_mnist_runs.get_config("wgan_fig6", ("dcgan_nobn",))
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The last samples of WGAN (left) and the standard GAN (right)."""
  return wgan_mnist_runs.samples_figure(fig, out_dir, workdir, quick)
