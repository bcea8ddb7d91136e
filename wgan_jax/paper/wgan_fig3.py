"""WGAN Fig. 3: the Wasserstein estimate (-critic loss, median-filtered) against generator
iterations, with samples, for an MLP generator + DCGAN critic, DCGAN generator + critic, and
MLP generator + critic at a high learning rate: the estimate tracks sample quality."""

from __future__ import annotations

import time

from wgan_jax.paper import wgan_mnist_runs
from wgan_jax.paper.runs import present_runs, train_or_load


def get_config():
  c = wgan_mnist_runs.get_config("wgan_fig3", ("mlp_g", "dcgan", "mlp"))
  c.median_filter = 21  # logged points in the running median of the loss curves
  c.lock()
  return c


def drawn_runs(fig, quick: bool = False) -> list[str]:
  """The WGAN runs of the config; its GAN runs are Fig. 4's."""
  return present_runs(fig, ("wgan_mlp_g", "wgan_dcgan", "wgan_mlp"))


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """-critic loss (the EM estimate) tracks sample quality in three settings."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick) for label in drawn_runs(fig)]
  return wgan_mnist_runs.loss_curve_figure(fig, records, "wasserstein_estimate",
                                           "Wasserstein estimate (-critic loss)", quick, out_dir,
                                           start)
