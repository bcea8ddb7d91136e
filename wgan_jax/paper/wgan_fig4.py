"""WGAN Fig. 4: the standard GAN's Jensen-Shannon estimate (log 2 - D loss) in Fig. 3's three
settings: it does not track sample quality."""

from __future__ import annotations

import time

from wgan_jax.paper import wgan_mnist_runs
from wgan_jax.paper.runs import present_runs, train_or_load


def get_config():
  c = wgan_mnist_runs.get_config("wgan_fig4", ("mlp_g", "dcgan", "mlp"))
  c.median_filter = 21  # logged points in the running median of the loss curves
  c.lock()
  return c


def drawn_runs(fig, quick: bool = False) -> list[str]:
  """The GAN runs of the config; its WGAN runs are Fig. 3's."""
  return present_runs(fig, ("gan_mlp_g", "gan_dcgan", "gan_mlp"))


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The standard GAN's JS estimate in the same settings as Fig. 3."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick) for label in drawn_runs(fig)]
  return wgan_mnist_runs.loss_curve_figure(fig, records, "js_estimate",
                                           "JS estimate (log 2 - D loss)", quick, out_dir, start)
