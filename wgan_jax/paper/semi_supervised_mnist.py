"""The semi-supervised GAN on MNIST with 100 labels (Salimans et al. 2016): the K+1-way
discriminator's test error as a classifier over training and per class, with feature matching
and with the non-saturating generator loss, against the same network trained on the 100
labelled digits alone."""

from __future__ import annotations

import time

import numpy as np

from wgan_jax.configs import semi_supervised_gan
from wgan_jax.data import pipeline
from wgan_jax.metrics.classifier import CriticClassifier, label_accuracy
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, new_figure, save_figure, show_grid
from wgan_jax.paper.runs import present_runs, run_summary, train_or_load
from wgan_jax.sampling import load_run

TITLES = {"supervised": "the labelled digits alone (same network)",
          "feature_matching": "semi-supervised GAN, feature matching",
          "gan": "semi-supervised GAN, -log D(G(z))"}
# Salimans et al. 2016, Table 1: 93 +- 6.5 test errors of 10,000 with 100 labels (feature matching,
# their 5-layer discriminator with weight normalisation and noise, 300 epochs).
PAPER_TEST_ERROR = 0.0093


def get_config():
  c = settings.training_figure("semi_supervised_mnist")
  c.num_steps = 10_000
  c.log_every = 50
  c.eval_every = 1000  # the discriminator's error on the 10,000 test digits
  c.labels_per_class = 10
  for mode in TITLES:  # the supervised baseline and the GAN under both generator losses
    c.runs[mode] = settings.scaled(semi_supervised_gan.get_config(mode), {
        "num_steps": settings.follows(c, "num_steps"),
        "log_every": settings.follows(c, "log_every"),
        "sample_every": settings.follows(c, "eval_every"),
        "checkpoint_every": settings.follows(c, "eval_every"),
        "eval.every": settings.follows(c, "eval_every"), "eval.num_samples": 1000,
        "data.labelled_per_class": settings.follows(c, "labels_per_class")})
  c.lock()
  return c


def make(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The discriminator of a semi-supervised GAN as a classifier: its MNIST test error over
  training and per class, against the same network trained on the labelled digits alone, and
  the generator's samples."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick) for label in present_runs(fig, TITLES)]
  figure = new_figure(figsize=(13, 8.5))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.15), hspace=0.3)
  top = outer[0].subgridspec(1, 2, wspace=0.22, width_ratios=(1.2, 1))
  curve_ax, bars_ax = figure.add_subplot(top[0, 0]), figure.add_subplot(top[0, 1])
  games = [r for r in records if r.config.objective != "supervised"]
  grids = outer[1].subgridspec(1, max(1, len(games)), wspace=0.05)
  data = figure_header(fig, quick, start)
  data["paper"] = {"test_error": PAPER_TEST_ERROR, "labels": 100,
                   "source": "Salimans et al. 2016, Table 1 (feature matching)"}
  data["runs"] = []
  held_out = None
  width = 0.8 / max(1, len(records))
  for i, record in enumerate(records):
    title = TITLES[record.label]
    config, experiment, state = load_run(record.directory)
    if held_out is None:  # the same test digits for every run
      held_out = pipeline.load_split(config.data, config.eval.classifier_split, config.seed,
                                     with_labels=True)
    classifier = CriticClassifier(experiment.critic)
    accuracy, per_class_accuracy = label_accuracy(classifier.predict(state, held_out["x"]),
                                                  held_out["label"], classifier.num_classes)
    overall, per_class = 1.0 - accuracy, 1.0 - per_class_accuracy
    steps, curve = record.series("classifier_error")
    curve_ax.plot(steps, 100 * curve, "o-", ms=3, label=f"{title}: {overall:.2%}")
    classes = np.arange(len(per_class))
    bars_ax.bar(classes + (i - (len(records) - 1) / 2) * width, 100 * per_class, width,
                label=title)
    data["runs"].append({
        **run_summary(record), "labelled_per_class": config.data.labelled_per_class,
        "feature_matching": config.feature_matching, "test_examples": len(held_out["label"]),
        "test_error": overall, "test_errors": int(round(overall * len(held_out["label"]))),
        "per_class_error": per_class.tolist(), "final": record.final("mnist"),
        "error_curve": {"steps": steps.tolist(), "classifier_error": curve.tolist()}})
  for ax, record in zip((figure.add_subplot(grids[0, i]) for i in range(len(games))), games):
    last = max(record.samples) if record.samples else None
    show_grid(ax, record.samples.get(last), f"{TITLES[record.label]}\n"
              f"samples, iteration {last}")
  curve_ax.axhline(100 * PAPER_TEST_ERROR, color="0.4", ls="--",
                   label="Salimans et al. 2016, feature matching: 0.93%")
  curve_ax.set_yscale("log")
  curve_ax.set_xlabel("generator iterations")
  curve_ax.set_ylabel(f"test error, % ({len(held_out['label']) if held_out else 0} digits)")
  curve_ax.legend(fontsize=7)
  labels = records[0].config.data.labelled_per_class * 10 if records else 0
  curve_ax.set_title(f"the discriminator as a classifier, {labels} labels", fontsize=9)
  bars_ax.set_xticks(np.arange(10))
  bars_ax.set_xlabel("digit")
  bars_ax.set_ylabel("test error at the end, %")
  bars_ax.legend(fontsize=7)
  return save_figure(out_dir, fig, quick, figure, data)
