"""Every experiment config loads, is locked, and builds its models, optimizers and constraint."""

import importlib

import jax
import pytest

from wgan_jax import builder
from wgan_jax.config import apply_settings

CONFIGS = [
    ("default", None), ("wgan_gp_toy", "25gaussians,clip"), ("wgan_gp_toy", "swissroll,penalty"),
    ("wgan_lsun_bedrooms", "dcgan,lsun"), ("wgan_lsun_bedrooms", "dcgan_nobn,cifar10"),
    ("wgan_lsun_bedrooms", "mlp_g,mnist"), ("wgan_lsun_bedrooms", "mlp,lsun"),
    ("gan_baseline", "gan,dcgan,cifar10"), ("gan_baseline", "lsgan,mlp_g,lsun"),
    ("wgan_gp_mnist", "wgan-gp"), ("wgan_gp_mnist", "wgan"), ("wgan_gp_mnist", "dcgan"),
    ("wgan_gp_cifar", "penalty_adam"), ("wgan_gp_cifar", "clip"), ("wgan_gp_cifar", "dcgan"),
    ("wgan_gp_cifar_resnet", ""), ("wgan_gp_cifar_resnet", "acgan"), ("wgan_gp_64x64", "lsun"),
]


def _load(name, arg):
  module = importlib.import_module(f"configs.{name}")
  return module.get_config() if arg is None else module.get_config(arg)


def _figure_runs():
  """Each distinct training run behind configs/training_figures.py, once."""
  from configs import training_figures
  runs = {}
  for name in training_figures.FIGURE_NAMES:
    for label, run in training_figures.get_config(name).runs.items():
      runs.setdefault(f"{label}-{run.to_json(sort_keys=True)}", (name, label))
  return sorted(runs.values())


@pytest.mark.parametrize("name,arg", CONFIGS)
def test_config_builds(name, arg):
  _check_builds(_load(name, arg))


@pytest.mark.parametrize("figure,label", _figure_runs())
def test_figure_run_builds(figure, label):
  from configs import training_figures
  _check_builds(training_figures.get_config(figure).runs[label])


def _check_builds(config):
  with pytest.raises(AttributeError):
    config.not_a_key = 1  # locked: misspelt overrides fail
  # The class count comes from TFDS metadata: no data is read.
  experiment = builder.build(config, open_data=False)
  # Full width, but only shapes are traced (no parameters are allocated); a BatchNorm critic
  # under the penalty would be refused here.
  state = experiment.abstract_state()
  assert jax.tree_util.tree_leaves(state.critic_params)
  assert experiment.schedule(0) in (1, 5, 100)


def test_command_line_settings_change_one_key_and_name_bad_ones():
  from configs import training_figures
  c = training_figures.get_config("wgangp_table3")
  apply_settings(c, ["runs.acgan.model.critic.width=16", "timing_width=64",
                     "runs.acgan.objective=wasserstein"])
  assert (c.runs.acgan.model.critic.width, c.timing_width) == (16, 64)
  # A figure-level setting reaches every run built from it.
  fig3 = training_figures.get_config("wgangp_fig3")
  apply_settings(fig3, ["num_steps=1000", "eval_every=200", "fid_samples=300",
                        "runs.clip.eval.every=100"])
  for label, run in fig3.runs.items():  # ... and a run's own setting changes that run only
    assert (run.num_steps, run.eval.every, run.sample_every, run.eval.num_samples) == (
        1000, 100 if label == "clip" else 200, 200, 300)
  # Table 3's scaled runs follow its width and length; the learning rates decay over that length.
  apply_settings(c, ["trained_width=64", "num_steps=2000"])
  for label in ("unsupervised_scaled", "acgan_scaled"):
    run = c.runs[label]
    assert (run.model.generator.width, run.model.critic.width) == (64, 64)
    assert run.num_steps == run.optimizer.linear_decay_steps == 2000
  published = c.runs.unsupervised
  assert published.num_steps == published.optimizer.linear_decay_steps == 100_000
  for bad, message in (("runs.acgan.model.criticc.width=16", "'criticc'"),
                       ("timing_widht=64", "timing_width"),  # the valid keys are listed
                       ("timing_width", "KEY=VALUE"),
                       ("timing_width=wide", "timing_width")):
    with pytest.raises(ValueError, match=message):
      apply_settings(c, [bad])
