"""What WGAN Figs. 3-7 share: WGAN and standard-GAN runs on MNIST at 32 px (in place of LSUN
bedrooms at 64 px) for each generator/critic pair, and the two ways they are drawn.

The five figures use eight runs between them; each is trained once (`runs.train_or_load`).
"""

from __future__ import annotations

import time

import ml_collections
import numpy as np
import scipy.ndimage

from wgan_jax.configs import gan_baseline, wgan_lsun_bedrooms
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure, show_grid, subplots
from wgan_jax.paper.runs import RunRecord, run_summary, sample_stages, train_or_load

ARCH_TITLES = {"mlp_g": "MLP generator, DCGAN critic", "dcgan": "DCGAN generator and critic",
               "mlp": "MLP generator and critic",
               "dcgan_nobn": "DCGAN generator without BatchNorm, same filters at every layer"}


def get_config(name: str, archs: tuple[str, ...]) -> ml_collections.ConfigDict:
  """A WGAN run (weight clipping, RMSProp 5e-5) and a GAN run for each pair in `archs`."""
  c = settings.training_figure(name)
  c.num_steps = 2000
  c.log_every = 5
  c.sample_every = 250
  c.conv_width = 32  # ngf = ndf (the paper: 64)
  c.mlp_learning_rate = 1e-3  # Fig. 3 bottom's deliberately high learning rate (20x)
  c.sample_stages = (250, 500, 1000, 2000)
  for arch in archs:
    overrides = {"num_steps": settings.follows(c, "num_steps"),
                 "log_every": settings.follows(c, "log_every"),
                 "sample_every": settings.follows(c, "sample_every"),
                 "checkpoint_every": settings.follows(c, "sample_every"),
                 # Sample quality at the end from the shipped MNIST classifier.
                 "eval.metrics": ("mnist",), "eval.num_samples": 2000}
    if arch in ("dcgan", "dcgan_nobn"):
      overrides["model.generator.width"] = settings.follows(c, "conv_width")
    if arch != "mlp":
      overrides["model.critic.width"] = settings.follows(c, "conv_width")
    wgan = settings.scaled(wgan_lsun_bedrooms.get_config(f"{arch},mnist"), overrides)
    gan = settings.scaled(gan_baseline.get_config(f"dcgan,{arch},mnist"), overrides)
    if arch == "mlp":  # Fig. 3 bottom: "substantially high learning rates (so training failed)"
      wgan.optimizer.generator.learning_rate = settings.follows(c, "mlp_learning_rate")
      wgan.optimizer.critic.learning_rate = settings.follows(c, "mlp_learning_rate")
    for run in (wgan, gan):
      run.data.update(settings.MNIST32)
    c.runs[f"wgan_{arch}"], c.runs[f"gan_{arch}"] = wgan, gan
  return c


def median_filtered(values: np.ndarray, size: int) -> np.ndarray:
  """The running median over `size` logged points (fewer on a short series)."""
  return scipy.ndimage.median_filter(values, size=min(size, len(values)) or 1, mode="nearest")


def loss_curve_figure(fig, records: list[RunRecord], key: str, ylabel: str, quick: bool,
                      out_dir: str, start: float) -> dict:
  """One column per run: the median-filtered estimate over iterations, samples at stages below."""
  figure = new_figure(figsize=(5 * len(records), 6.4))
  outer = figure.add_gridspec(2, len(records), height_ratios=(2.2, 1), hspace=0.25)
  data = figure_header(fig, quick, start)
  data.update(estimate=key, median_filter=fig.median_filter, runs=[])
  for column, record in enumerate(records):
    steps, values = record.series(key)
    filtered = median_filtered(values, fig.median_filter)
    stages = sample_stages(record, fig.sample_stages)
    ax = figure.add_subplot(outer[0, column])
    ax.plot(steps, values, color="0.8", lw=0.6, label="logged")
    ax.plot(steps, filtered, color="C0" if key == "wasserstein_estimate" else "C3", lw=1.5,
            label=f"median filter ({fig.median_filter})")
    for stage in stages:
      ax.axvline(stage, color="0.5", ls=":", lw=0.8)
    arch = record.label.split("_", 1)[1]
    ax.set_title(f"{ARCH_TITLES[arch]}, learning rate "
                 f"{record.config.optimizer.critic.learning_rate:g}", fontsize=10)
    if len(filtered) > 20:  # scale to the filtered curve past its first 5%, not to single spikes
      low, high = np.min(filtered[len(filtered) // 20:]), np.max(filtered[len(filtered) // 20:])
      margin = 0.15 * max(high - low, 1e-3)
      ax.set_ylim(low - margin, high + margin)
    ax.set_xlabel("generator iterations")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    inner = outer[1, column].subgridspec(1, max(len(stages), 1), wspace=0.05)
    for i, stage in enumerate(stages):
      show_grid(figure.add_subplot(inner[0, i]), record.samples[stage], f"iteration {stage}")
    data["runs"].append({**run_summary(record), "steps": steps.tolist(),
                         key: values.tolist(), f"{key}_filtered": filtered.tolist(),
                         "sample_stages": stages, "final_scores": record.final("mnist_")})
  return save_figure(out_dir, fig, quick, figure, data)


def samples_figure(fig, out_dir: str, workdir: str, quick: bool) -> dict:
  """The last samples of WGAN (left) and the standard GAN (right), one generator/critic pair."""
  start = time.time()
  (arch,) = {label.split("_", 1)[1] for label in fig.runs}
  records = [train_or_load(fig, f"{kind}_{arch}", workdir, quick) for kind in ("wgan", "gan")]
  figure, axes = subplots(1, 2, figsize=(9, 5))
  data = figure_header(fig, quick, start)
  data["runs"] = []
  for ax, record, name in zip(axes, records, ("WGAN (weight clipping)", "standard GAN")):
    last = max(record.samples) if record.samples else None
    scores = record.final("mnist_")
    parts = [f"{k[6:]} {v:.3g}" for k, v in sorted(scores.items())]
    text = "\n".join(", ".join(parts[i:i + 2]) for i in range(0, len(parts), 2))
    show_grid(ax, record.samples.get(last), f"{name}, iteration {last}\n{text}")
    data["runs"].append({**run_summary(record), "final_scores": scores, "final_samples": last})
  figure.suptitle(ARCH_TITLES[arch], fontsize=11)
  return save_figure(out_dir, fig, quick, figure, data)
