"""Class-conditional GANs on MNIST (Mirza and Osindero 2014): the label joined to the
discriminator's input or a projection discriminator, under the standard GAN loss and WGAN-GP,
the same MLPs: how often the shipped classifier names the class asked for, per class, and
class-by-row samples."""

from __future__ import annotations

import time

import numpy as np

from wgan_jax.configs import conditional_gan
from wgan_jax.metrics.mnist import MNISTScorer
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure
from wgan_jax.paper.runs import present_runs, run_summary, train_or_load
from wgan_jax.plotting import image_grid, to_uint8
from wgan_jax.sampling import by_class

# Both losses with both ways into the critic, on the same MLPs: run label -> config argument.
RUNS = {"gan_mlp_input": "dcgan,mlp,input", "gan_mlp_projection": "dcgan,mlp,projection",
        "wgangp_mlp_input": "wgan-gp,mlp,input",
        "wgangp_mlp_projection": "wgan-gp,mlp,projection"}
TITLES = {"gan_mlp_input": "GAN, MLPs, label at D's input (Mirza & Osindero)",
          "gan_mlp_projection": "GAN, MLPs, projection D",
          "wgangp_mlp_input": "WGAN-GP, MLPs, label at D's input",
          "wgangp_mlp_projection": "WGAN-GP, MLPs, projection D"}


def get_config():
  c = settings.training_figure("conditional_mnist")
  c.num_steps = 2000
  c.log_every = 20
  c.eval_every = 250  # the label accuracy (and MNIST metrics) on eval.num_samples samples
  c.accuracy_samples = 2000  # samples behind the per-class accuracy (classes in turn)
  c.grid_columns = 10  # samples of each class in the figure's class-by-row grids
  c.quick.update(dict(eval_samples=40))
  for label, arg in RUNS.items():
    c.runs[label] = settings.scaled(conditional_gan.get_config(arg), {
        "num_steps": settings.follows(c, "num_steps"),
        "log_every": settings.follows(c, "log_every"),
        "sample_every": settings.follows(c, "eval_every"),
        "checkpoint_every": settings.follows(c, "eval_every"),
        "eval.every": settings.follows(c, "eval_every"), "eval.num_samples": 1000})
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """How often the generated digit is the class asked for (per class, by the shipped
  classifier), a class-by-row sample grid of each run, and the accuracy over training."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick) for label in present_runs(fig, TITLES)]
  per_class = (fig.quick.eval_samples if quick else fig.accuracy_samples) // 10
  scorer = MNISTScorer()
  figure = new_figure(figsize=(13, 8.5))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.25), hspace=0.25)
  top = outer[0].subgridspec(1, 2, wspace=0.2, width_ratios=(1.4, 1))
  bars_ax, curve_ax = figure.add_subplot(top[0, 0]), figure.add_subplot(top[0, 1])
  grids = outer[1].subgridspec(1, max(1, len(records)), wspace=0.05)
  data = figure_header(fig, quick, start)
  data["runs"] = []
  width = 0.8 / max(1, len(records))
  for i, record in enumerate(records):
    title = TITLES[record.label]
    images, labels, _ = by_class(record.directory, per_class)
    overall, per_class_accuracy = scorer.label_accuracy(images, labels)
    accuracy = {"samples": len(images), "accuracy": overall,
                "per_class": per_class_accuracy.tolist()}
    classes = np.arange(len(per_class_accuracy))
    bars_ax.bar(classes + (i - (len(records) - 1) / 2) * width, per_class_accuracy, width,
                label=f"{title}: {overall:.1%}")
    steps, curve = record.series("mnist_label_accuracy")
    curve_ax.plot(steps, curve, "o-", label=record.label)
    columns = min(fig.grid_columns, per_class)
    grid = images.reshape((len(classes), per_class) + images.shape[1:])[:, :columns]
    ax = figure.add_subplot(grids[0, i])
    ax.imshow(image_grid(to_uint8(grid.reshape((-1,) + images.shape[1:])), columns)[..., 0],
              cmap="gray", interpolation="nearest")
    ax.set_title(f"{title}\nrow k: class k", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    data["runs"].append({**run_summary(record), "label_accuracy": accuracy,
                         "final": record.final("mnist"),
                         "accuracy_curve": {"steps": steps.tolist(), "accuracy": curve.tolist()}})
  bars_ax.set_xticks(np.arange(10))
  bars_ax.set_xlabel("class asked for")
  bars_ax.set_ylabel(f"classifier names the class ({per_class} samples each)")
  bars_ax.set_ylim(0, 1.05)
  bars_ax.legend(fontsize=7, loc="lower left")
  curve_ax.set_xlabel("generator iterations")
  curve_ax.set_ylabel("label accuracy (evaluation samples)")
  curve_ax.set_ylim(0, 1.05)
  curve_ax.legend(fontsize=7)
  return save_figure(out_dir, fig, quick, figure, data)
