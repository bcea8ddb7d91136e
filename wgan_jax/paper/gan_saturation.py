"""The original GAN's minimax generator loss log(1 - D(G(z))) against the non-saturating
-log D(G(z)) (Goodfellow et al. 2014, Section 3), the same MLP networks on MNIST: the
generator's gradient norm and the discriminator's verdict on fakes over training, and samples
of each."""

from __future__ import annotations

import time

import numpy as np
import scipy.special

from wgan_jax.configs import gan_baseline
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure, show_grid
from wgan_jax.paper.runs import present_runs, run_summary, sample_stages, train_or_load

TITLES = {"non_saturating": "non-saturating  -log D(G(z))",
          "minimax": "minimax  log(1 - D(G(z)))"}


def get_config():
  c = settings.training_figure("gan_saturation")
  c.num_steps = 1000
  c.log_every = 5
  c.sample_every = 250
  c.sample_stages = (250, 1000)
  c.early_steps = 100  # the window of "early in learning" summarised in the JSON
  c.quick.update(dict(num_steps=20, sample_every=10))
  for label, method in (("non_saturating", "dcgan"), ("minimax", "minimax")):
    c.runs[label] = settings.scaled(gan_baseline.get_config(f"{method},mlp,mnist"), {
        "num_steps": settings.follows(c, "num_steps"),
        "log_every": settings.follows(c, "log_every"),
        "sample_every": settings.follows(c, "sample_every"),
        "checkpoint_every": settings.follows(c, "sample_every"),
        "eval.metrics": ("mnist",), "eval.num_samples": 2000})
    c.runs[label].data.update(settings.MNIST32)
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The minimax generator loss saturates where the non-saturating one does not: the
  generator's gradient norm and D(G(z)) over training, same networks, data and optimizer."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick) for label in present_runs(fig, TITLES)]
  figure = new_figure(figsize=(12, 8))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.2), hspace=0.3)
  curves = outer[0].subgridspec(1, 2, wspace=0.25)
  grids = outer[1].subgridspec(1, max(1, 2 * len(records)), wspace=0.05)
  gradient_ax, verdict_ax = (figure.add_subplot(curves[0, i]) for i in range(2))
  data = figure_header(fig, quick, start)
  data["runs"] = []
  early_steps = fig.quick.num_steps // 2 if quick else fig.early_steps
  for i, record in enumerate(records):
    title = TITLES[record.label]
    steps, gradient = record.series("generator_grad_norm")
    _, fake_logit = record.series("critic_fake_score")
    # D(G(z)) at the batch's mean logit: near 0 where the discriminator rejects the fakes.
    d_of_fake = scipy.special.expit(fake_logit)
    gradient_ax.semilogy(steps, gradient, lw=1, label=title)
    verdict_ax.plot(steps, d_of_fake, lw=1, label=title)
    for j, stage in enumerate(sample_stages(record, fig.sample_stages)[-2:]):
      show_grid(figure.add_subplot(grids[0, 2 * i + j]), record.samples.get(stage),
                f"{record.label}, iteration {stage}")
    early = steps <= early_steps
    data["runs"].append({
        **run_summary(record), "final": record.final("mnist"),
        "early_steps": early_steps,
        "early_generator_grad_norm_median": float(np.median(gradient[early])),
        "late_generator_grad_norm_median": float(np.median(gradient[~early]))
        if np.any(~early) else None,
        "early_d_of_fake_median": float(np.median(d_of_fake[early])),
        "curves": {"steps": steps.tolist(), "generator_grad_norm": gradient.tolist(),
                   "critic_fake_score": fake_logit.tolist()}})
  gradient_ax.set_title("generator gradient norm")
  verdict_ax.set_title("D(G(z)) at the mean fake logit")
  for ax in (gradient_ax, verdict_ax):
    ax.set_xlabel("generator iterations")
    ax.legend(fontsize=8)
  verdict_ax.set_ylim(0, 1)
  return save_figure(out_dir, fig, quick, figure, data)
