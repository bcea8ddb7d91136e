"""InfoGAN on MNIST (Chen et al. 2016): how often the categorical code names the digit over
training, and the latent traversals of the paper's Fig. 2 (one row per categorical value, each
continuous code swept from -2 to 2)."""

from __future__ import annotations

import time

import numpy as np

from wgan_jax.configs import infogan
from wgan_jax.metrics.classifier import cluster_accuracy
from wgan_jax.metrics.mnist import MNISTScorer
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure
from wgan_jax.paper.runs import run_summary, train_or_load
from wgan_jax.plotting import image_grid, to_uint8
from wgan_jax.sampling import draw_samples, load_run, sample_settings, traverse

# Chen et al. 2016, Sec. 7.1: the categorical code, matched to digit classes, classifies MNIST
# with 5% error (their convolutional networks).
PAPER_CODE_ACCURACY = 0.95


def get_config():
  c = settings.training_figure("infogan_mnist")
  c.num_steps = 10_000
  c.eval_every = 1000  # the code accuracy on eval.num_samples samples
  c.accuracy_samples = 2000  # samples behind the final code accuracy and code-digit matching
  c.traversal_steps = 10  # columns of each traversal
  c.traversal_span = 2.0  # each continuous code swept over [-span, span] (trained on [-1, 1])
  c.quick.update(dict(eval_samples=40))
  c.runs["infogan"] = settings.scaled(infogan.get_config("dcgan"), {
      "num_steps": settings.follows(c, "num_steps"), "log_every": 50,
      "sample_every": settings.follows(c, "eval_every"),
      "checkpoint_every": settings.follows(c, "eval_every"),
      "eval.every": settings.follows(c, "eval_every")})
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """InfoGAN's codes on MNIST: how often the categorical code names the digit the shipped
  classifier sees (best one-to-one matching) over training, and the latent traversals of the
  paper's Fig. 2: one row per categorical value (ordered by its matched digit), each continuous
  code swept from -span to span along the row, the noise fixed per row."""
  start = time.time()
  record = train_or_load(fig, "infogan", workdir, quick)
  config, experiment, state = load_run(record.directory)
  count = fig.quick.eval_samples if quick else fig.accuracy_samples
  images, _, codes = draw_samples(experiment.generator, state, count, sample_settings(config),
                                  latent=experiment.latent)
  digits = MNISTScorer().features_and_probs(images)[1].argmax(1)
  categories = experiment.latent.categorical
  accuracy, digit_of_code = cluster_accuracy(codes, digits, categories, 10)
  order = np.argsort(np.where(digit_of_code < 0, 10, digit_of_code), kind="stable")
  figure = new_figure(figsize=(13, 5.2))
  outer = figure.add_gridspec(1, 1 + experiment.latent.continuous, wspace=0.12,
                              width_ratios=(1.2,) + (1,) * experiment.latent.continuous)
  curve_ax = figure.add_subplot(outer[0, 0])
  steps, curve = record.series("mnist_code_accuracy")
  curve_ax.plot(steps, curve, "o-",
                label=f"categorical code, end: {accuracy:.1%} ({count} samples)")
  curve_ax.axhline(PAPER_CODE_ACCURACY, color="0.4", ls="--",
                   label=f"Chen et al. 2016 (conv nets): {PAPER_CODE_ACCURACY:.0%}")
  curve_ax.axhline(0.1, color="0.7", ls=":", label="chance: 10%")
  curve_ax.set_ylim(0, 1.02)
  curve_ax.set_xlabel("generator iterations")
  curve_ax.set_ylabel("code names the digit (best matching)")
  curve_ax.legend(fontsize=7, loc="lower right")
  data = figure_header(fig, quick, start)
  data["paper"] = {"code_accuracy": PAPER_CODE_ACCURACY, "source": "Chen et al. 2016, Sec. 7.1"}
  data["run"] = {**run_summary(record), "code_accuracy": accuracy, "samples": count,
                 "digit_of_code": digit_of_code.tolist(), "final": record.final("mnist"),
                 "accuracy_curve": {"steps": steps.tolist(), "accuracy": curve.tolist()}}
  for code in range(experiment.latent.continuous):
    swept, _ = traverse(record.directory, code, fig.traversal_steps, fig.traversal_span)
    rows = swept.reshape((categories, fig.traversal_steps) + swept.shape[1:])[order]
    ax = figure.add_subplot(outer[0, 1 + code])
    ax.imshow(image_grid(to_uint8(rows.reshape((-1,) + swept.shape[1:])),
                         fig.traversal_steps)[..., 0], cmap="gray", interpolation="nearest")
    ax.set_title(f"continuous code {code + 1} from -{fig.traversal_span:g} to "
                 f"{fig.traversal_span:g}\nrows: categorical values, matched digits "
                 f"{''.join(str(d) if d >= 0 else '-' for d in digit_of_code[order])}",
                 fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
  return save_figure(out_dir, fig, quick, figure, data)
