"""WGAN Figs. 3-4 with their seed spread: the critic's estimate of each method (WGAN's
Wasserstein estimate, the standard GAN's Jensen-Shannon estimate) and the samples' MNIST
Fréchet distance over generator iterations, DCGAN generator and critic on MNIST at 32 px,
each method trained at `seeds` seeds as one population; median over seeds, quartile band and
every seed. Whether an estimate tracks sample quality is measured per seed, as the rank
correlation between the estimate and the Fréchet distance at the evaluated iterations."""

from __future__ import annotations

import os
import time

import numpy as np
import scipy.stats

from wgan_jax.paper import settings, wgan_mnist_runs
from wgan_jax.paper.drawing import figure_header, save_figure, subplots
from wgan_jax.paper.runs import train_or_load
from wgan_jax.paper.spread import draw_band, member_series

# Each method's critic estimate, as WGAN Figs. 3 and 4 draw them.
METHODS = {"wgan_dcgan": ("WGAN (weight clipping)", "wasserstein_estimate",
                          "Wasserstein estimate (-critic loss)"),
           "gan_dcgan": ("standard GAN", "js_estimate", "JS estimate (log 2 - D loss)")}
QUALITY = "mnist_frechet"


def get_config():
  c = wgan_mnist_runs.get_config("seed_spread_mnist", ("dcgan",))  # Figs. 3-4's runs
  c.seeds = 4
  c.eval_every = 250  # the Fréchet distance at Fig. 3's sample stages and between them
  c.median_filter = 21  # logged points in each seed's running median of the estimate
  for label in METHODS:
    c.runs[label].update_from_flattened_dict({
        "eval.every": settings.follows(c, "eval_every"),
        "population.size": settings.follows(c, "seeds")})
  c.lock()
  return c


def _filtered(series: dict, size: int) -> dict:
  return {m: (steps, wgan_mnist_runs.median_filtered(values, size))
          for m, (steps, values) in series.items()}


def tracking(estimate: tuple[np.ndarray, np.ndarray],
             quality: tuple[np.ndarray, np.ndarray]) -> float | None:
  """Spearman's rank correlation between an estimate (at the steps the quality was measured)
  and the Fréchet distance: near 1 when the estimate falls as the samples improve."""
  steps, values = estimate
  at = np.isin(steps, quality[0])
  if at.sum() < 3:
    return None
  rho = scipy.stats.spearmanr(values[at], quality[1][np.isin(quality[0], steps)]).statistic
  return None if np.isnan(rho) else float(rho)


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """One panel per method's estimate, one of both methods' Fréchet distance."""
  start = time.time()
  labels = [label for label in METHODS if label in fig.runs]
  figure, axes = subplots(1, len(labels) + 1, figsize=(5 * (len(labels) + 1), 4.2))
  data = figure_header(fig, quick, start)
  data.update(quality_metric=QUALITY, median_filter=fig.median_filter, methods={})
  for colour, (label, ax) in enumerate(zip(labels, axes)):
    title, key, ylabel = METHODS[label]
    record = train_or_load(fig, label, workdir, quick)
    estimate = _filtered(member_series(record.directory, key), fig.median_filter)
    quality = member_series(record.directory, QUALITY)
    drawn = draw_band(ax, estimate, f"C{colour}", title)
    ax.set(xlabel="generator iterations", ylabel=f"{ylabel}, median-filtered")
    ax.legend(fontsize=8)
    scored = draw_band(axes[-1], quality, f"C{colour}", title)
    rho = {str(m): tracking(estimate[m], quality[m]) for m in sorted(quality) if m in estimate}
    data["methods"][label] = {
        "label": label, "run": os.path.basename(record.directory), "title": title,
        "seeds": [int(record.config.seed) + m for m in sorted(estimate)],
        "estimate": key, "estimate_steps": drawn["steps"], "estimate_filtered": drawn["values"],
        "estimate_median": drawn["median"], "estimate_quartiles": drawn["quartiles"],
        "quality_steps": scored["steps"], "quality": scored["values"],
        "quality_median": scored["median"], "quality_quartiles": scored["quartiles"],
        "diverged_seeds": scored["diverged_seeds"], "tracking_spearman": rho,
        "final_quality": {m: values[-1] for m, values in scored["values"].items()},
        "train_sec": record.metrics[-1].get("train_sec") if record.metrics else None}
  axes[-1].set(xlabel="generator iterations", ylabel="MNIST Fréchet distance (lower is better)")
  axes[-1].legend(fontsize=8)
  figure.suptitle(f"DCGAN generator and critic on MNIST, {fig.seeds} seeds per method: median, "
                  f"quartile band and every seed", fontsize=10)
  return save_figure(out_dir, fig, quick, figure, data)
