"""The GAN family's figures: the original GAN's saturating loss, the conditional GAN, the
semi-supervised GAN and InfoGAN's latent codes, each on MNIST with the library's trainer.

Built like the papers' training figures (`training_figures`): each `make_*` function takes a
`configs/paper/training_figures.py` config, trains or reuses the runs it names under
`workdir`, then writes `NAME.png` and `NAME.json` into `out_dir` and returns the JSON data.
"""

from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.special  # noqa: E402

from wgan_jax.data import pipeline  # noqa: E402
from wgan_jax.metrics.classifier import (CriticClassifier, cluster_accuracy,  # noqa: E402
                                         label_accuracy)
from wgan_jax.metrics.mnist import MNISTScorer  # noqa: E402
from wgan_jax.plotting import image_grid, to_uint8  # noqa: E402
from wgan_jax.reproduce.toy_figures import save_figure  # noqa: E402
from wgan_jax.reproduce.training_figures import (figure_header, present_runs,  # noqa: E402
                                                 run_summary, sample_stages, show_grid,
                                                 train_or_load)
from wgan_jax.sampling import by_class, generate_samples, load_run, sample_settings  # noqa: E402
from wgan_jax.sampling import traverse  # noqa: E402


# ----------------------------------------------------------------------------- GAN saturation

SATURATION_TITLES = {"non_saturating": "non-saturating  -log D(G(z))",
                     "minimax": "minimax  log(1 - D(G(z)))"}


def make_gan_saturation(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The minimax generator loss saturates where the non-saturating one does not: the
  generator's gradient norm and D(G(z)) over training, same networks, data and optimizer."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick)
             for label in present_runs(fig, SATURATION_TITLES)]
  figure = plt.figure(figsize=(12, 8))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.2), hspace=0.3)
  curves = outer[0].subgridspec(1, 2, wspace=0.25)
  grids = outer[1].subgridspec(1, max(1, 2 * len(records)), wspace=0.05)
  gradient_ax, verdict_ax = (figure.add_subplot(curves[0, i]) for i in range(2))
  data = figure_header(fig, quick, start)
  data["runs"] = []
  early_steps = fig.quick.num_steps // 2 if quick else fig.early_steps
  for i, record in enumerate(records):
    title = SATURATION_TITLES[record.label]
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
  save_figure(out_dir, fig.name, figure, data)
  return data


# ----------------------------------------------------------------------------- conditional GAN

CONDITIONAL_TITLES = {"gan_mlp_input": "GAN, MLPs, label at D's input (Mirza & Osindero)",
                      "gan_mlp_projection": "GAN, MLPs, projection D",
                      "wgangp_mlp_input": "WGAN-GP, MLPs, label at D's input",
                      "wgangp_mlp_projection": "WGAN-GP, MLPs, projection D"}


def make_conditional_mnist(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """Class-conditional GANs on MNIST: how often the generated digit is the class asked for
  (per class, by the shipped classifier), a class-by-row sample grid of each run, and the
  accuracy over training."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick)
             for label in present_runs(fig, CONDITIONAL_TITLES)]
  per_class = (fig.quick.eval_samples if quick else fig.accuracy_samples) // 10
  scorer = MNISTScorer()
  figure = plt.figure(figsize=(13, 8.5))
  outer = figure.add_gridspec(2, 1, height_ratios=(1, 1.25), hspace=0.25)
  top = outer[0].subgridspec(1, 2, wspace=0.2, width_ratios=(1.4, 1))
  bars_ax, curve_ax = figure.add_subplot(top[0, 0]), figure.add_subplot(top[0, 1])
  grids = outer[1].subgridspec(1, max(1, len(records)), wspace=0.05)
  data = figure_header(fig, quick, start)
  data["runs"] = []
  width = 0.8 / max(1, len(records))
  for i, record in enumerate(records):
    title = CONDITIONAL_TITLES[record.label]
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
  save_figure(out_dir, fig.name, figure, data)
  return data


# ----------------------------------------------------------------------------- semi-supervised GAN

SEMI_SUPERVISED_TITLES = {"supervised": "the labelled digits alone (same network)",
                          "feature_matching": "semi-supervised GAN, feature matching",
                          "gan": "semi-supervised GAN, -log D(G(z))"}
# Salimans et al. 2016, Table 1: 93 +- 6.5 test errors of 10,000 with 100 labels (feature matching,
# their 5-layer discriminator with weight normalisation and noise, 300 epochs).
PAPER_TEST_ERROR = 0.0093


def make_semi_supervised_mnist(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """The discriminator of a semi-supervised GAN as a classifier: its MNIST test error over
  training and per class, against the same network trained on the labelled digits alone, and
  the generator's samples."""
  start = time.time()
  records = [train_or_load(fig, label, workdir, quick)
             for label in present_runs(fig, SEMI_SUPERVISED_TITLES)]
  figure = plt.figure(figsize=(13, 8.5))
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
    title = SEMI_SUPERVISED_TITLES[record.label]
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
    show_grid(ax, record.samples.get(last), f"{SEMI_SUPERVISED_TITLES[record.label]}\n"
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
  save_figure(out_dir, fig.name, figure, data)
  return data


# ----------------------------------------------------------------------------- InfoGAN

# Chen et al. 2016, Sec. 7.1: the categorical code, matched to digit classes, classifies MNIST
# with 5% error (their convolutional networks).
PAPER_CODE_ACCURACY = 0.95


def make_infogan_mnist(fig, out_dir: str, workdir: str, quick: bool = False) -> dict:
  """InfoGAN's codes on MNIST: how often the categorical code names the digit the shipped
  classifier sees (best one-to-one matching) over training, and the latent traversals of the
  paper's Fig. 2: one row per categorical value (ordered by its matched digit), each continuous
  code swept from -span to span along the row, the noise fixed per row."""
  start = time.time()
  record = train_or_load(fig, "infogan", workdir, quick)
  config, experiment, state = load_run(record.directory)
  count = fig.quick.eval_samples if quick else fig.accuracy_samples
  images, _, codes = generate_samples(experiment.generator, state, count, sample_settings(config),
                                      latent=experiment.latent)
  digits = MNISTScorer().features_and_probs(images)[1].argmax(1)
  categories = experiment.latent.categorical
  accuracy, digit_of_code = cluster_accuracy(codes, digits, categories, 10)
  order = np.argsort(np.where(digit_of_code < 0, 10, digit_of_code), kind="stable")
  figure = plt.figure(figsize=(13, 5.2))
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
  save_figure(out_dir, fig.name, figure, data)
  return data


FIGURES = {
    "gan_saturation": make_gan_saturation,
    "conditional_mnist": make_conditional_mnist,
    "semi_supervised_mnist": make_semi_supervised_mnist,
    "infogan_mnist": make_infogan_mnist,
}
