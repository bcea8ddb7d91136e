import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from wgan_jax.configs import default as default_config
from wgan_jax.configs import wgan_gp_language
from tests.helpers import assert_trees_close
from wgan_jax import rundir, sampling
from wgan_jax.data.text import Vocabulary
from wgan_jax.latent import latent_paths
from wgan_jax.rundir import ConfigChangedError
from wgan_jax.step import generate
from wgan_jax.errors import ConfigError
from wgan_jax.train import NonFiniteLossError, train

REPO = pathlib.Path(__file__).resolve().parents[1]


def tiny_config(**overrides):
  c = default_config.get_config()
  c.model.generator.width = 32
  c.model.critic.width = 32
  c.batch_size = 16
  c.data.toy_pool_size = 20_000
  c.num_steps = 6
  c.log_every = 2
  c.sample_every = 3
  c.checkpoint_every = 3
  c.eval.every = 3
  c.eval.num_samples = 200
  c.update_from_flattened_dict(overrides)
  return c


def _metrics(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def test_default_job_end_to_end(tmp_path):
  workdir = str(tmp_path / "run")
  result = train(tiny_config(), workdir)
  assert result["step"] == 6
  lines = _metrics(workdir)
  assert [m["step"] for m in lines] == [2, 3, 4, 6]
  for key in ("critic_loss", "wasserstein_estimate", "generator_loss", "gradient_penalty",
              "critic_grad_norm", "gen_iters_per_sec", "elapsed_sec", "train_sec"):
    assert key in lines[-1]
  assert {"w1", "w1_real_vs_real", "modes_covered"} <= set(lines[-1])
  assert json.load(open(os.path.join(workdir, "config.json")))["n_critic"] == 5
  assert sorted(os.listdir(os.path.join(workdir, "samples"))) == ["samples_0000003.png",
                                                                   "samples_0000006.png"]
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["3", "6"]
  assert os.listdir(os.path.join(workdir, "tensorboard"))


def test_evaluations_keep_their_own_cadence(tmp_path):
  """eval.every need not divide by log_every or checkpoint_every: step 3 is evaluated and
  written although neither logs nor saves."""
  workdir = str(tmp_path / "run")
  train(tiny_config(checkpoint_every=6, sample_every=6, **{"eval.every": 3}), workdir)
  lines = _metrics(workdir)
  assert [m["step"] for m in lines] == [2, 3, 4, 6]
  assert [m["step"] for m in lines if "w1" in m] == [3, 6]
  assert "critic_loss" in lines[1]


def test_resume_is_exact(tmp_path):
  straight = train(tiny_config(num_steps=6), str(tmp_path / "straight"))
  train(tiny_config(num_steps=3), str(tmp_path / "resumed"))
  resumed = train(tiny_config(num_steps=6), str(tmp_path / "resumed"))
  assert resumed["step"] == 6
  assert_trees_close(resumed["state"], straight["state"], rtol=0, atol=0)
  last_straight = _metrics(tmp_path / "straight")[-1]
  last_resumed = _metrics(tmp_path / "resumed")[-1]
  for key in ("critic_loss", "generator_loss", "w1"):
    assert last_resumed[key] == last_straight[key]


@pytest.mark.parametrize("resident", [True, False])
def test_the_mesh_trainer_computes_what_the_pmap_trainer_does(tmp_path, resident):
  """jit + shard_map over a mesh (the TPU path) and pmap train alike, on four devices, fed
  in-graph or by the tf.data pipeline; a run saved by one resumes under the other."""
  assert jax.device_count() == 4
  overrides = {"num_steps": 2, "data.device_resident": resident, "eval.every": 0,
               "checkpoint_every": 1, "sample_every": 2}
  by_pmap = train(tiny_config(parallelism="pmap", **overrides), str(tmp_path / "pmap"))
  by_mesh = train(tiny_config(parallelism="shard_map", **overrides), str(tmp_path / "mesh"))
  assert_trees_close(by_mesh["state"], by_pmap["state"], rtol=1e-5, atol=1e-6)
  for key in ("critic_loss", "generator_loss", "w1"):
    np.testing.assert_allclose(by_mesh["metrics"][key], by_pmap["metrics"][key], rtol=1e-5)
  if resident:
    workdir = str(tmp_path / "switched")
    train(tiny_config(parallelism="shard_map", **{**overrides, "num_steps": 1}), workdir)
    switched = train(tiny_config(parallelism="pmap", **overrides), workdir)
    assert_trees_close(switched["state"], by_pmap["state"], rtol=1e-5, atol=1e-6)


def test_an_unknown_parallelism_is_named(tmp_path):
  with pytest.raises(ConfigError, match="parallelism 'spmd'"):
    train(tiny_config(parallelism="spmd"), str(tmp_path / "run"))


@pytest.mark.slow
def test_wgan_schedule_and_clipping_resume_exactly(tmp_path):
  # Also the host tf.data path (the default job holds its data on the device).
  overrides = {"constraint.kind": "clip", "wgan_schedule": True, "n_critic": 2,
               "eval.metrics": (), "eval.every": 0, "data.device_resident": False}
  straight = train(tiny_config(num_steps=4, **overrides), str(tmp_path / "a"))
  train(tiny_config(num_steps=2, **overrides), str(tmp_path / "b"))
  resumed = train(tiny_config(num_steps=4, **overrides), str(tmp_path / "b"))
  assert_trees_close(resumed["state"], straight["state"], rtol=0, atol=0)
  for leaf in jax.tree_util.tree_leaves(resumed["state"].critic_params):
    assert np.abs(np.asarray(leaf)).max() <= 0.01 + 1e-7


def _run_script(workdir, *flags, timeout=300):
  return subprocess.run([sys.executable, str(REPO / "scripts" / "train.py"), f"--workdir={workdir}",
                         *flags], capture_output=True, text=True, timeout=timeout, cwd=REPO)


TINY_FLAGS = ["--config.model.generator.width=32", "--config.model.critic.width=32",
              "--config.batch_size=16", "--config.data.toy_pool_size=20000",
              "--config.eval.every=0", "--config.log_every=1", "--config.sample_every=1000",
              "--config.checkpoint_every=1000"]


@pytest.mark.slow
def test_sigterm_saves_and_resumes_exactly(tmp_path):
  killed, straight = tmp_path / "killed", tmp_path / "straight"
  process = subprocess.Popen(
      [sys.executable, str(REPO / "scripts" / "train.py"), f"--workdir={killed}",
       "--config.num_steps=100000", *TINY_FLAGS], cwd=REPO, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True)
  metrics = killed / "metrics.jsonl"
  deadline = time.time() + 240
  while time.time() < deadline and (not metrics.exists() or len(metrics.read_text().splitlines()) < 5):
    time.sleep(0.2)
  process.send_signal(signal.SIGTERM)
  out, err = process.communicate(timeout=120)
  assert process.returncode == 75, err  # stopped by a signal, checkpoint saved
  assert "SIGTERM received" in err + out and "run the same command again to resume" in err
  saved = [int(d) for d in os.listdir(killed / "checkpoints") if d.isdigit()]
  assert len(saved) == 1 and 5 <= saved[0] < 100000
  stop = saved[0]

  total = stop + 3
  resumed = _run_script(killed, f"--config.num_steps={total}", *TINY_FLAGS)
  assert resumed.returncode == 0, resumed.stderr
  reference = _run_script(straight, f"--config.num_steps={total}", *TINY_FLAGS)
  assert reference.returncode == 0, reference.stderr
  by_step = {m["step"]: m for m in _metrics(killed)}
  reference_metrics = _metrics(straight)
  assert by_step[total]["critic_loss"] == reference_metrics[-1]["critic_loss"]
  assert by_step[total]["generator_loss"] == reference_metrics[-1]["generator_loss"]


def test_bad_config_key_is_named(tmp_path):
  result = _run_script(tmp_path, "--config.n_critics=3")
  assert result.returncode == 2
  assert result.stderr.startswith("error: unknown config key 'n_critics'")
  assert 'Did you mean "n_critic"' in result.stderr and "Traceback" not in result.stderr


def test_batch_not_divisible_by_devices(tmp_path):
  assert jax.device_count() == 4
  with pytest.raises(ConfigError, match="does not split over the 4 devices"):
    train(tiny_config(batch_size=10), str(tmp_path))


def test_batchnorm_critic_with_penalty_is_refused_before_training(tmp_path):
  config = tiny_config()
  with config.unlocked():
    config.model.generator = dict(kind="mlp", latent_dim=2, width=8, depth=1)
    config.model.critic = dict(kind="gp_dcgan", width=4, normalization="batch")
    config.data.update(dict(source="npz", path=str(tmp_path / "d.npz")))
  np.savez(tmp_path / "d.npz", x=np.zeros((32, 28, 28, 1), np.uint8))
  with config.unlocked():
    config.model.generator = dict(kind="gp_dcgan", latent_dim=8, width=4)
  config.eval.metrics = ()
  with pytest.raises(ConfigError, match="normalization='batch' under constraint.kind='penalty'"):
    train(config, str(tmp_path / "run"))
  assert not (tmp_path / "run" / "checkpoints").exists() or not os.listdir(
      tmp_path / "run" / "checkpoints")


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
  workdir = str(tmp_path / "run")
  good = train(tiny_config(num_steps=2, checkpoint_every=1, **{"eval.every": 0}), workdir)
  config = tiny_config(num_steps=50, checkpoint_every=1, log_every=1, **{"eval.every": 0})
  config.optimizer.critic.learning_rate = 1e30
  config.optimizer.generator.learning_rate = 1e30
  with pytest.raises(NonFiniteLossError, match=r"non-finite \(NaN or infinity\) at generator "
                     r"iteration 3.*last good checkpoint \(step 2\) is intact"):
    train(config, workdir, allow_config_change=True)
  from wgan_jax.checkpoint import Checkpointer
  checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), async_save=False)
  assert checkpointer.latest_step() == 2
  restored = checkpointer.restore(good["state"])
  checkpointer.close()
  assert_trees_close(restored, good["state"], rtol=0, atol=0)


@pytest.mark.slow
def test_sample_script_writes_npz_and_png(tmp_path):
  workdir = tmp_path / "run"
  train(tiny_config(num_steps=3), str(workdir))
  for out in ("s.npz", "s.png"):
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "sample.py"),
                             f"--workdir={workdir}", "--num=50", f"--out={tmp_path / out}"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
  samples = np.load(tmp_path / "s.npz")["samples"]
  assert samples.shape == (50, 2) and samples.dtype == np.float32
  assert (tmp_path / "s.png").stat().st_size > 0

  result = subprocess.run([sys.executable, str(REPO / "scripts" / "sample.py"),
                           f"--workdir={workdir}", "--num=3", "--interpolate=5",
                           "--path=spherical", f"--out={tmp_path / 'path.npz'}"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
  assert result.returncode == 0, result.stderr
  along_paths = np.load(tmp_path / "path.npz")["samples"]
  # The generator applied to the same great-circle paths, row by row.
  _, experiment, state = sampling.load_run(str(workdir))
  path_key, _ = jax.random.split(jax.random.PRNGKey(0))
  z = latent_paths(path_key, 3, 5, experiment.generator.latent_dim, "spherical")
  expected = generate(experiment.generator, state, z, None)
  np.testing.assert_allclose(along_paths, expected, rtol=1e-5, atol=1e-5)

  unconditional = subprocess.run([sys.executable, str(REPO / "scripts" / "sample.py"),
                                  f"--workdir={workdir}", "--by_class"],
                                 capture_output=True, text=True, timeout=300, cwd=REPO)
  assert unconditional.returncode == 2 and "not a conditional run" in unconditional.stderr


@pytest.mark.slow  # an end-to-end run scored by the MNIST classifier
@pytest.mark.default_lowering  # a conv run through the trainer as a CPU user runs it
def test_image_run_with_device_resident_data_and_the_mnist_metric(tmp_path):
  from tests.test_data import _write_idx
  rng = np.random.default_rng(0)
  _write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (64, 28, 28)), True)
  _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, (64,)), True)
  from wgan_jax.configs import wgan_gp_mnist
  config = wgan_gp_mnist.get_config()
  config.data.path = str(tmp_path)
  config.data.device_resident = True
  config.model.generator.width = 4
  config.model.critic.width = 4
  config.batch_size, config.num_steps = 8, 2
  config.eval.every, config.eval.num_samples = 2, 16
  config.sample_every = config.checkpoint_every = 2
  result = train(config, str(tmp_path / "run"))
  last = _metrics(tmp_path / "run")[-1]
  assert result["step"] == 2 and 0 <= last["mnist_class_entropy"] <= np.log(10) + 1e-9
  assert last["mnist_frechet"] > 0


@pytest.mark.slow  # an end-to-end run scored by the MNIST classifier
def test_a_conditional_mnist_run_reports_how_often_digits_have_their_class(tmp_path):
  from tests.test_data import _write_idx
  rng = np.random.default_rng(0)
  _write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (64, 28, 28)), True)
  _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, (64,)), True)
  from wgan_jax.configs import conditional_gan
  config = conditional_gan.get_config("wgan-gp,mlp,projection")
  config.data.path = str(tmp_path)
  config.model.generator.width = config.model.critic.width = 16
  config.batch_size, config.num_steps, config.n_critic = 8, 2, 2
  config.eval.every, config.eval.num_samples = 2, 20
  config.sample_every = config.checkpoint_every = 2
  result = train(config, str(tmp_path / "run"))
  last = _metrics(tmp_path / "run")[-1]
  assert result["step"] == 2 and 0 <= last["mnist_label_accuracy"] <= 1
  assert last["mnist_label_accuracy_worst"] <= last["mnist_label_accuracy"]
  assert "projection" in result["state"].critic_params
  samples, labels, _ = sampling.sample(str(tmp_path / "run"), 12)
  np.testing.assert_array_equal(labels, np.arange(12) % 10)
  rows, row_labels, _ = sampling.by_class(str(tmp_path / "run"), per_class=3)
  assert rows.shape == (30, 28, 28, 1)
  np.testing.assert_array_equal(row_labels, np.repeat(np.arange(10), 3))
  result = subprocess.run([sys.executable, str(REPO / "scripts" / "sample.py"),
                           f"--workdir={tmp_path / 'run'}", "--num=2", "--by_class",
                           f"--out={tmp_path / 'classes.npz'}"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
  assert result.returncode == 0, result.stderr
  np.testing.assert_array_equal(np.load(tmp_path / "classes.npz")["labels"],
                                np.repeat(np.arange(10), 2))


def _tiny_mnist_family_run(tmp_path, config, train_count=60, test_count=0):
  """`config` shrunk to two iterations of width-16 MLPs on random MNIST-format digits written to
  `tmp_path` (`test_count` > 0 adds a labelled test split); its data path set there."""
  from tests.test_data import _write_idx
  rng = np.random.default_rng(0)
  for prefix, count in (("train", train_count), ("t10k", test_count)):
    if count:
      _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                 rng.integers(0, 256, (count, 28, 28)), True)
      _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(count) % 10, True)
  config.data.path = str(tmp_path)
  config.model.generator.width = config.model.critic.width = 16
  config.batch_size, config.num_steps = 8, 2
  config.eval.every, config.eval.num_samples = 2, 20
  config.log_every = config.sample_every = config.checkpoint_every = 2
  return config


@pytest.mark.slow  # an end-to-end run, scored again by evaluate.py in a subprocess
def test_a_semi_supervised_mnist_run_scores_its_critic_as_a_test_set_classifier(tmp_path):
  from wgan_jax.configs import semi_supervised_gan
  config = _tiny_mnist_family_run(tmp_path, semi_supervised_gan.get_config("feature_matching,2"),
                                  test_count=25)
  result = train(config, str(tmp_path / "run"))
  last = _metrics(tmp_path / "run")[-1]
  assert result["step"] == 2
  assert 0 <= last["classifier_error"] <= last["classifier_error_worst"] <= 1
  assert {"critic_acgan_accuracy", "generator_objective_loss", "mnist_frechet"} <= set(last)
  assert "mnist_label_accuracy" not in last  # the generator is unconditional
  samples, labels, _ = sampling.sample(str(tmp_path / "run"), 3)
  assert samples.shape == (3, 28, 28, 1) and labels is None
  scored = subprocess.run([sys.executable, str(REPO / "scripts" / "evaluate.py"),
                           f"--workdir={tmp_path / 'run'}", "--classifier_split=test", "--num=8",
                           f"--out={tmp_path / 'eval.json'}"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
  assert scored.returncode == 0, scored.stderr
  assert json.loads((tmp_path / "eval.json").read_text())["classifier_error"] == pytest.approx(
      last["classifier_error"])  # the final checkpoint, scored again on the test split
  config.data.use_labels = False
  with pytest.raises(ConfigError, match="use_labels"):
    train(config, str(tmp_path / "other"))
  config.data.use_labels, config.data.labelled_per_class = True, 0
  config.model.critic.conditioning = "projection"
  with pytest.raises(ConfigError, match="classifier head"):
    train(config, str(tmp_path / "third"))


@pytest.mark.slow  # an end-to-end run scored on a held-out split
def test_a_catgan_run_clusters_without_labels_and_is_scored_by_the_best_matching(tmp_path):
  from wgan_jax.configs import catgan
  config = _tiny_mnist_family_run(tmp_path, catgan.get_config(), 40, 20)
  result = train(config, str(tmp_path / "run"))
  last = _metrics(tmp_path / "run")[-1]
  assert result["step"] == 2
  assert 1 - last["classifier_error"] <= last["cluster_accuracy"] + 1e-9  # matching never loses
  assert last["cluster_accuracy"] <= 1
  for which in ("real", "fake"):
    assert 0 <= last[f"critic_{which}_class_entropy"] <= np.log(10) + 1e-5
  assert not any(k.startswith("critic_acgan") for k in last)  # no label reached the loss
  # A run saved before the InfoGAN options existed still loads, with them at their defaults.
  saved_path = tmp_path / "run" / rundir.CONFIG_FILE
  saved = json.loads(saved_path.read_text())
  del saved["model"]["latent"], saved["info_scale"], saved["info_continuous_weight"]
  saved_path.write_text(json.dumps(saved))
  samples, _, _ = sampling.sample(str(tmp_path / "run"), 3)
  assert samples.shape == (3, 28, 28, 1)


@pytest.mark.slow  # an end-to-end run scored by the MNIST classifier
def test_an_infogan_run_scores_its_codes_and_traverses_them(tmp_path):
  from wgan_jax.configs import infogan
  config = _tiny_mnist_family_run(tmp_path, infogan.get_config(), 40)
  result = train(config, str(tmp_path / "run"))
  last = _metrics(tmp_path / "run")[-1]
  assert result["step"] == 2 and 0.1 <= last["mnist_code_accuracy"] <= 1
  assert {"critic_info_loss", "generator_info_accuracy"} <= set(last)
  assert result["state"].critic_params["q_output"]["kernel"].shape[-1] == 12
  samples, categories = sampling.traverse(str(tmp_path / "run"), code=1, steps=3)
  assert samples.shape == (30, 28, 28, 1)
  np.testing.assert_array_equal(categories, np.repeat(np.arange(10), 3))
  config.model.latent.continuous = 0  # a categorical code alone: nothing to sweep
  train(config, str(tmp_path / "categorical"))
  with pytest.raises(ValueError, match="no categorical and continuous"):
    sampling.traverse(str(tmp_path / "categorical"), code=0)


def _language_config(text_path):
  c = wgan_gp_language.get_config()
  c.data.update(dict(source="text", path=str(text_path), seq_len=10, max_examples=0))
  for network in (c.model.generator, c.model.critic):
    network.update(dict(width=8, num_blocks=1))
  c.batch_size, c.n_critic, c.num_steps = 8, 2, 2
  c.log_every = c.sample_every = c.eval.every = c.checkpoint_every = 2
  c.eval.num_samples, c.num_sample_images = 16, 5
  return c


@pytest.mark.slow  # an end-to-end text run with its n-gram scores
def test_a_language_run_writes_text_samples_ngram_scores_and_its_vocabulary(tmp_path):
  corpus = tmp_path / "corpus.txt"
  corpus.write_text("\n".join(["the cat sat on the mat", "a dog ran", "hello world"] * 20))
  workdir = tmp_path / "run"
  result = train(_language_config(corpus), str(workdir))
  assert {f"ngram_js{n}" for n in (1, 2, 3, 4)} <= set(result["metrics"])
  vocabulary = Vocabulary.load(workdir / "vocabulary.json")
  lines = (workdir / "samples" / "samples_0000002.txt").read_text().splitlines()
  assert len(lines) == 5 and all(len(line) == 10 for line in lines)
  assert set("".join(lines)) <= set(vocabulary.symbols)

  samples, labels, sampled_vocabulary = sampling.sample(str(workdir), 3)
  assert samples.shape == (3, 10, len(vocabulary)) and labels is None
  assert sampled_vocabulary == vocabulary
  sampling.write_samples(samples, labels, str(tmp_path / "s.txt"), sampled_vocabulary)
  assert len((tmp_path / "s.txt").read_text().splitlines()) == 3
  along_paths, _, _ = sampling.interpolate(str(workdir), rows=2, steps=4)
  assert along_paths.shape == (8, 10, len(vocabulary))

  corpus.write_text("entirely different text: 0123456789\n" * 20)  # other characters
  with pytest.raises(ConfigChangedError, match="different vocabulary"):
    train(_language_config(corpus), str(workdir))


@pytest.mark.slow  # one short run per option: the trainer, the config check and the metrics
@pytest.mark.parametrize("overrides, logged", [
    ({"objective": "hinge"}, "gradient_penalty"),
    ({"objective": "gan", "constraint.kind": "r1", "n_critic": 1}, "r1_penalty"),
    ({"constraint.kind": "r2", "constraint.weight": 1.0}, "r2_penalty"),
    ({"objective": "gan", "constraint.kind": "r1", "constraint.every": 4, "n_critic": 1},
     "penalty_applied"),
    ({"objective": "hinge", "constraint.kind": "spectral"}, "critic_loss"),
    ({"ema.decay": 0.9, "ema.start": 2}, "w1_no_ema"),
])
def test_the_newer_options_train_from_the_config(tmp_path, overrides, logged):
  result = train(tiny_config(num_steps=4, **{"eval.metrics": ("w1",)}, **overrides),
                 str(tmp_path))
  assert result["step"] == 4 and np.isfinite(result["metrics"][logged])
  assert np.isfinite(result["metrics"]["critic_loss"])


@pytest.mark.slow  # SN-GAN's CNN with DiffAugment and the generator's average, then sampled
def test_an_sngan_run_with_diffaugment_and_ema_samples_its_average_by_default(tmp_path):
  from wgan_jax.configs import sngan_cifar
  rng = np.random.default_rng(0)
  np.savez(tmp_path / "d.npz", x=rng.integers(0, 256, (32, 32, 32, 3), dtype=np.uint8))
  config = sngan_cifar.get_config()
  config.data.update(dict(source="npz", path=str(tmp_path / "d.npz"), name=""))
  config.model.generator.width = config.model.critic.width = 4
  config.batch_size, config.num_steps = 8, 3
  config.augment, config.ema.decay = "color,translation,cutout", 0.5
  config.sample_every = config.checkpoint_every = config.log_every = 3
  config.num_sample_images = 4
  workdir = str(tmp_path / "run")
  result = train(config, workdir)
  assert result["step"] == 3 and np.isfinite(result["metrics"]["critic_loss"])
  averaged, _, _ = sampling.sample(workdir, 4)
  again, _, _ = sampling.sample(workdir, 4, ema=True)
  trained, _, _ = sampling.sample(workdir, 4, ema=False)
  np.testing.assert_array_equal(averaged, again)
  assert not np.allclose(averaged, trained)
  out = tmp_path / "raw.npz"
  done = subprocess.run([sys.executable, "-m", "wgan_jax.sample", f"--workdir={workdir}",
                         "--num=4", "--ema", "false", f"--out={out}"], capture_output=True,
                        text=True)
  assert done.returncode == 0, done.stderr
  from wgan_jax.plotting import to_uint8
  np.testing.assert_array_equal(np.load(out)["samples"], to_uint8(trained))  # images as written
