"""Every experiment config loads, is locked, and builds its models, optimizers and constraint."""

import importlib
import sys
from unittest import mock

import jax
import pytest
from absl import flags
from ml_collections import config_flags

from wgan_jax import builder

CONFIGS = [
    ("default", None), ("wgan_gp_toy", "25gaussians,wgan"), ("wgan_gp_toy", "swissroll,wgan-gp"),
    ("wgan_lsun_bedrooms", "dcgan,lsun"), ("wgan_lsun_bedrooms", "dcgan_nobn,cifar10"),
    ("wgan_lsun_bedrooms", "mlp_g,mnist"), ("wgan_lsun_bedrooms", "mlp,lsun"),
    ("gan_baseline", "dcgan,dcgan,cifar10"), ("gan_baseline", "lsgan,mlp_g,lsun"),
    ("gan_baseline", "minimax,mlp,mnist"), ("conditional_gan", "dcgan,mlp,input"),
    ("conditional_gan", "wgan-gp,dcgan,projection"), ("conditional_gan", "wgan,dcgan,acgan"),
    ("conditional_gan", "lsgan,mlp,projection"), ("semi_supervised_gan", "feature_matching,10"),
    ("semi_supervised_gan", "wgan-gp,4"), ("semi_supervised_gan", "supervised,10"),
    ("catgan", None), ("infogan", "dcgan"), ("infogan", "wgan-gp"),
    ("wgan_gp_mnist", "wgan-gp"), ("wgan_gp_mnist", "wgan"), ("wgan_gp_mnist", "dcgan"),
    ("wgan_gp_cifar", "wgan-gp"), ("wgan_gp_cifar", "wgan"), ("wgan_gp_cifar", "dcgan"),
    ("wgan_gp_cifar_resnet", ""), ("wgan_gp_cifar_resnet", "acgan"), ("wgan_gp_64x64", "lsun"),
    ("wgan_gp_language", "wgan-gp"), ("wgan_gp_language", "gan"), ("wgan_gp_language", "dcgan"),
    ("architecture_studies", "dcgan,wgan-gp,lsun"), ("architecture_studies", "gated,lsgan,lsun"),
    ("architecture_studies", "resnet101,wgan,lsun"),
    ("architecture_studies", "nobn_constant_g,dcgan,imagenet32"),
    ("architecture_studies", "mlp_g,wgan-gp-one-sided,mnist32"),
    ("architecture_studies", "random-3,wgan-gp,imagenet32"),
]


def _load(name, arg):
  module = importlib.import_module(f"wgan_jax.configs.{name}")
  return module.get_config() if arg is None else module.get_config(arg)


# The architecture studies' runs are `configs/architecture_studies.py` configs (built above and
# by their own tests); a few of their 115 stand in for the rest here.
SAMPLED_STUDY_RUNS = {"wgangp_fig2": ("resnet101-wgan-gp", "mlp_g-wgan", "gated-lsgan",
                                      "nobn_constant_g-wgan-gp-one-sided"),
                      "wgangp_table2": ("random-0-wgan-gp", "random-39-dcgan")}


def _figure_runs():
  """Each distinct training run behind the paper figures (`wgan_jax.paper`), once."""
  from wgan_jax import paper
  runs = {}
  for name in paper.FIGURES:
    for label, run in paper.figure(name).get_config().get("runs", {}).items():
      if label in SAMPLED_STUDY_RUNS.get(name, (label,)):
        runs.setdefault(f"{label}-{run.to_json(sort_keys=True)}", (name, label))
  return sorted(runs.values())


@pytest.mark.parametrize("name,arg", CONFIGS)
def test_config_builds(name, arg):
  _check_builds(_load(name, arg))


@pytest.mark.parametrize("figure,label", _figure_runs())
def test_figure_run_builds(figure, label):
  from wgan_jax import paper
  _check_builds(paper.figure(figure).get_config().runs[label])


def _check_builds(config):
  with pytest.raises(AttributeError):
    config.not_a_key = 1  # locked: misspelt overrides fail
  # The class count comes from TFDS metadata: no data is read.
  experiment = builder.build(config, open_data=False)
  # Full width, but only shapes are traced (no parameters are allocated); a BatchNorm critic
  # under the penalty would be refused here.
  state = experiment.abstract_state()
  assert jax.tree_util.tree_leaves(state.critic_params)
  assert experiment.schedule(0) in (1, 5, 10, 100)  # 10: the language model


def _from_command_line(config_arg: str, *overrides: str):
  """The config `python -m wgan_jax.reproduce --config CONFIG_ARG OVERRIDES...` would draw."""
  from wgan_jax.commands.reproduce import resolve_figure
  holder = flags.FlagValues()
  config_flags.DEFINE_config_file("config", None, flag_values=holder, lock_config=True)
  argv = ["reproduce.py", f"--config={resolve_figure(config_arg)}", *overrides]
  with mock.patch.object(sys, "argv", argv):  # config_flags reads the overrides from sys.argv
    holder(argv)
  return holder.config


def test_command_line_overrides_change_one_key_and_name_bad_ones():
  table3 = "wgangp_table3"
  c = _from_command_line(table3, "--config.runs.acgan.model.critic.width=16",
                         "--config.timing_width=64", "--config.runs.acgan.objective=wasserstein")
  assert (c.runs.acgan.model.critic.width, c.timing_width) == (16, 64)
  assert c.runs.unsupervised.model.critic.width == 128
  # A figure-level setting reaches every run built from it ...
  fig3 = _from_command_line("wgangp_fig3",
                            "--config.num_steps=1000", "--config.eval_every=200",
                            "--config.fid_samples=300", "--config.runs.clip.eval.every=100")
  for label, run in fig3.runs.items():  # ... and a run's own setting changes that run only
    assert (run.num_steps, run.eval.every, run.sample_every, run.eval.num_samples) == (
        1000, 100 if label == "clip" else 200, 200, 300)
  # Table 3's scaled runs follow its width and length; the learning rates decay over that length.
  c = _from_command_line(table3, "--config.trained_width=64", "--config.num_steps=2000")
  for label in ("unsupervised_scaled", "acgan_scaled"):
    run = c.runs[label]
    assert (run.model.generator.width, run.model.critic.width) == (64, 64)
    assert run.num_steps == run.optimizer.linear_decay_steps == 2000
  published = c.runs.unsupervised
  assert published.num_steps == published.optimizer.linear_decay_steps == 100_000
  for bad, error, message in (
      ("--config.runs.acgan.model.criticc.width=16", KeyError, 'Did you mean "critic"'),
      ("--config.timing_widht=64", AttributeError, 'Did you mean "timing_width"'),
      ("--config.timing_width=wide", flags.Error, "timing_width")):
    with pytest.raises(error, match=message):
      _from_command_line(table3, bad)


TF1_RMSPROP = dict(name="rmsprop", decay=0.9, eps=1e-10, eps_in_sqrt=True, initial_scale=1.0)


@pytest.mark.parametrize("name,arg", [("wgan_gp_cifar", "wgan"), ("wgan_gp_cifar", "wgan-gp-rmsprop"),
                                      ("wgan_gp_mnist", "wgan"), ("gan_baseline", "lsgan,dcgan,lsun"),
                                      ("wgan_gp_toy", "8gaussians,wgan")])
def test_wgan_gp_code_configs_use_tensorflow_1_rmsprop(name, arg):
  config = _load(name, arg)
  for role in ("generator", "critic"):
    assert {k: config.optimizer[role].get(k) for k in TF1_RMSPROP} == TF1_RMSPROP


def test_wgan_paper_configs_keep_pytorch_rmsprop():
  for arg in ("dcgan,lsun", "mlp,mnist"):
    critic = _load("wgan_lsun_bedrooms", arg).optimizer.critic
    assert (critic.decay, critic.eps, critic.eps_in_sqrt) == (0.99, 1e-8, False)


@pytest.mark.parametrize("name,arg,normalization", [
    ("wgan_gp_cifar", "dcgan", "batch"), ("wgan_gp_cifar", "wgan", "batch"),
    ("wgan_gp_cifar", "wgan-gp", "none"), ("wgan_gp_mnist", "dcgan", "none"),
    ("wgan_gp_mnist", "wgan", "batch"), ("wgan_gp_mnist", "wgan-gp", "none")])
def test_critic_batchnorm_where_the_official_code_has_it(name, arg, normalization):
  # gan_cifar.py: BatchNorm in the critic for every MODE but 'wgan-gp'; gan_mnist.py: 'wgan' only.
  assert _load(name, arg).model.critic.normalization == normalization


def test_each_architecture_study_method_keeps_one_recipe_for_every_architecture():
  from wgan_jax.configs import architecture_studies as studies
  for method in studies.METHODS:
    for archs in (studies.FIG2_ARCHS, [f"random-{i}" for i in range(12)]):
      recipes = set()
      for arch in archs:
        c = studies.get_config(f"{arch},{method},mnist32")
        optimizer = c.optimizer.to_dict()
        # Appendix B: the random architectures' normalized critics, and only they, decay.
        normalized = c.model.critic.get("normalization", "none") != "none"
        decay = optimizer["critic"].pop("weight_decay", 0.0)
        assert decay == (1e-3 if normalized and arch.startswith("random-") else 0.0)
        recipes.add((c.objective, c.constraint.to_json(), str(optimizer), c.n_critic,
                     c.batch_size))
        if method.startswith("wgan-gp") or method in ("r1", "sngan"):
          # No BatchNorm in a penalised or spectrally normalized critic.
          assert c.model.critic.get("normalization", "none") != "batch"
      assert len(recipes) == 1, (method, archs)
  assert studies.random_architecture(7) == studies.random_architecture(7)
  draws = {studies.random_architecture(i) for i in range(40)}
  assert len(draws) == 40 and {d.g_depth for d in draws} == set(studies.DEPTHS)
  # The penalty's Adam: beta1 = 0 in gan_64x64.py (LSUN), 0.5 in gan_cifar.py / gan_mnist.py.
  assert studies.get_config("dcgan,wgan-gp,lsun").optimizer.critic.b1 == 0.0
  assert studies.get_config("dcgan,wgan-gp,mnist32").optimizer.critic.b1 == 0.5
  # The random architectures' (Appendix B): beta1 = 0 at every size; the GAN keeps DCGAN's Adam.
  for dataset in ("imagenet32", "mnist32"):
    assert studies.get_config(f"random-0,wgan-gp,{dataset}").optimizer.critic.b1 == 0.0
    assert studies.get_config(f"random-0,dcgan,{dataset}").optimizer.critic.to_dict() == dict(
        name="adam", learning_rate=2e-4, b1=0.5, b2=0.999, weight_decay=1e-3)


def test_architecture_study_figures_scale_the_drawn_filters_and_score_every_run():
  from wgan_jax.configs.architecture_studies import random_architecture
  from wgan_jax.paper import wgangp_fig2, wgangp_table2
  table = wgangp_table2.get_config()
  assert len(table.runs) == 2 * wgangp_table2.ARCHITECTURES
  drawn = random_architecture(39)
  run = table.runs["random-39-wgan-gp"]
  assert (run.model.generator.width, run.model.critic.width) == (
      drawn.g_filters * table.filter_scale, drawn.d_filters * table.filter_scale)
  assert run.model.critic.n_extra_layers == drawn.d_depth - 4
  fig2 = wgangp_fig2.get_config()
  assert len(fig2.runs) == len(fig2.architectures) * len(fig2.methods) == 7 * 5
  from wgan_jax.paper import wgangp_fig2_newer
  newer = wgangp_fig2_newer.get_config()
  assert sorted(newer.runs) == sorted(f"{a}-{m}" for a in fig2.architectures
                                      for m in ("sngan", "r1"))
  assert fig2.runs["mlp_g-wgan"].model.generator.width == 512  # the MLP keeps its units
  for c in (table, fig2):
    for run in c.runs.values():
      assert run.eval.metrics == ("mnist",) and run.num_steps == c.num_steps
      assert run.data.device_resident and run.data.image_size == 32
      assert run.batch_size == c.batch_size
  assert (fig2.batch_size, table.batch_size) == (64, 16)
  with table.unlocked():
    table.batch_size = 32  # a figure setting reaches every run
  assert {run.batch_size for run in table.runs.values()} == {32}


def test_a_saved_config_gets_only_the_options_it_lacks():
  from wgan_jax.config import base_config, with_new_defaults
  saved = base_config().to_dict()
  del saved["model"]["latent"], saved["info_scale"]
  saved["model"]["generator"] = dict(kind="gp_dcgan", width=8, normalization="none")
  saved["data"]["name"] = "25gaussians"
  restored = with_new_defaults(saved)
  assert restored.model.latent.to_dict() == base_config().model.latent.to_dict()
  assert restored.info_scale == base_config().info_scale
  assert restored.data.name == "25gaussians"
  # A network spec is kept whole: no option of the default MLP is merged into the DCGAN's.
  assert restored.model.generator.to_dict() == saved["model"]["generator"]


def test_config_arguments_are_positional_or_named_and_a_method_has_one_name():
  from wgan_jax.configs import architecture_studies, wgan_gp_cifar, wgan_gp_toy
  from wgan_jax.errors import ConfigError
  positional = architecture_studies.get_config("tanh,wgan,mnist32")
  named = architecture_studies.get_config("dataset=mnist32,arch=tanh,method=wgan")
  mixed = architecture_studies.get_config("tanh,dataset=mnist32,method=wgan")
  assert positional.to_json() == named.to_json() == mixed.to_json()
  assert wgan_gp_toy.get_config("method=wgan").constraint.kind == "clip"
  with pytest.raises(ConfigError, match="'penalty_adam' is now 'wgan-gp'"):
    wgan_gp_cifar.get_config("penalty_adam")
  with pytest.raises(ConfigError, match="unknown 'lr'; the arguments are method"):
    wgan_gp_cifar.get_config("lr=3")
  with pytest.raises(ConfigError, match="one value too many"):
    wgan_gp_toy.get_config("8gaussians,wgan,extra")
  with pytest.raises(ConfigError, match="dataset 'lsun2': choose one of"):
    architecture_studies.get_config("dcgan,wgan,lsun2")
