import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from wgan_jax.evaluation import Evaluator
from wgan_jax.metrics import check_metrics
from wgan_jax.metrics.mnist import SHIPPED, MNISTScorer

REPO = pathlib.Path(__file__).resolve().parents[1]
TOY = {"source": "toy", "name": "8gaussians"}
IMAGES = {"source": "npz", "name": "", "path": "x.npz"}


@pytest.mark.parametrize("metrics, data, shape, message", [
    (("fid",), TOY, (2,), "need image data"),
    (("w1",), IMAGES, (28, 28, 1), "toy data sets"),
    (("mnist",), IMAGES, (32, 32, 3), "one-channel"),
    (("modes",), {"source": "toy", "name": "swissroll"}, (2,), "Gaussian-mixture"),
    (("fdi",), TOY, (2,), "Unknown evaluation metric"),
])
def test_metrics_that_do_not_fit_the_data_are_refused(metrics, data, shape, message):
  with pytest.raises(ValueError, match=message):
    check_metrics(metrics, data, shape)


@pytest.mark.parametrize("num_samples, batch", [(25, 25), (500, 100)])
def test_inception_batches_are_no_larger_than_the_sample(monkeypatch, num_samples, batch):
  from wgan_jax import evaluation

  class Recorded:  # the FID network's weights are not needed to see its batch size
    has_logits = False

    def __init__(self, weights_path, batch_size):
      self.batch_size = batch_size

  monkeypatch.setattr(evaluation, "InceptionFeatures", Recorded)
  evaluator = Evaluator({"metrics": ("fid",), "num_samples": num_samples, "batch_size": 100},
                        IMAGES, None, (32, 32, 3))
  assert evaluator.inception.batch_size == batch  # a padded batch costs a full one


def test_toy_evaluator_reports_w1_beside_the_real_baseline():
  from wgan_jax.data.toy import toy_dataset
  evaluator = Evaluator({"metrics": ("w1", "modes"), "num_samples": 300}, TOY, None, (2,))
  good = evaluator(toy_dataset("8gaussians", 300, seed=9))
  collapsed = evaluator(np.zeros((300, 2)))
  assert good["w1"] < 3 * good["w1_real_vs_real"] and good["modes_covered"] == 8
  assert collapsed["w1"] > 1.0 and collapsed["modes_covered"] == 0


def test_shipped_mnist_classifier_and_its_scores():
  scorer = MNISTScorer()
  assert SHIPPED.stat().st_size < 3_000_000
  assert scorer.test_accuracy >= 0.98
  rng = np.random.default_rng(0)
  noise = rng.uniform(-1, 1, (64, 32, 32, 1)).astype(np.float32)  # resized to 28x28 inside
  scores = scorer(noise)
  assert 0 <= scores["mnist_class_entropy"] <= np.log(10) + 1e-9
  assert scores["mnist_frechet"] > 0
  one_image = scorer(np.repeat(noise[:1], 64, axis=0))
  assert one_image["mnist_class_entropy"] == 0.0  # total mode collapse
  assert one_image["mnist_inception_score"] == pytest.approx(1.0)  # p(y|x) = p(y) for all x
  assert 1.0 <= scores["mnist_inception_score"] <= 10.0
  with pytest.raises(ValueError, match=r"\[N, H, W, 1\]"):
    scorer(noise[..., 0])
  named = scorer.features_and_probs(noise)[1].argmax(1)  # the classes the classifier names
  assert scorer(noise, named)["mnist_label_accuracy"] == 1.0
  assert scorer(noise, (named + 1) % 10)["mnist_label_accuracy_worst"] == 0.0


def test_the_mnist_inception_score_reaches_ten_for_confident_balanced_classes():
  from wgan_jax.metrics.fid import inception_score
  confident = np.log(np.full((100, 10), 1e-12) + np.eye(10)[np.arange(100) % 10])
  assert inception_score(confident, splits=1)[0] == pytest.approx(10.0, rel=1e-6)
  unsure = np.zeros((100, 10))  # every digit equally likely for every image
  assert inception_score(unsure, splits=1)[0] == pytest.approx(1.0)


def test_label_accuracy_is_overall_and_per_class():
  from wgan_jax.metrics.mnist import label_accuracy
  overall, per_class = label_accuracy(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]))
  assert overall == pytest.approx(4 / 6)
  np.testing.assert_allclose(per_class[:3], [0.5, 0.5, 1.0])
  assert np.isnan(per_class[3:]).all()  # no label names classes 3..9
  with pytest.raises(ValueError, match="3 predictions for 2 labels"):
    label_accuracy(np.zeros(3, int), np.zeros(2, int))


@pytest.mark.slow
def test_evaluate_script_on_a_toy_run(tmp_path):
  from tests.test_train import tiny_config
  from wgan_jax.train import train
  train(tiny_config(num_steps=2), str(tmp_path / "run"))
  out = tmp_path / "eval.json"
  result = subprocess.run([sys.executable, str(REPO / "scripts" / "evaluate.py"),
                           f"--workdir={tmp_path / 'run'}", "--metric=w1,modes", "--num=300",
                           f"--out={out}"], capture_output=True, text=True, timeout=300, cwd=REPO)
  assert result.returncode == 0, result.stderr
  values = json.loads(out.read_text())
  assert values["step"] == 2 and values["num_samples"] == 300
  assert {"w1", "w1_real_vs_real", "modes_covered", "high_quality_share"} <= set(values)
  bad = subprocess.run([sys.executable, str(REPO / "scripts" / "evaluate.py"),
                        f"--workdir={tmp_path / 'run'}", "--metric=fid"], capture_output=True,
                       text=True, timeout=300, cwd=REPO)
  assert bad.returncode == 2 and "need image data" in bad.stderr
  # An output that cannot be written (a read-only disk; here its folder is a file): the result
  # is printed first, then the failed write is exit code 5 with nothing partial left.
  (tmp_path / "blocked").write_text("a file, not a folder")
  unwritable = subprocess.run([sys.executable, "-m", "wgan_jax.evaluate",
                               f"--workdir={tmp_path / 'run'}", "--metric=w1", "--num=300",
                               f"--out={tmp_path / 'blocked' / 'eval.json'}"],
                              capture_output=True, text=True, timeout=300, cwd=REPO)
  assert unwritable.returncode == 5, unwritable.stderr
  assert json.loads(unwritable.stdout.strip().splitlines()[-1])["step"] == 2
  assert "Could not write" in unwritable.stderr and "printed above" in unwritable.stderr


def test_cluster_accuracy_matches_clusters_to_classes_one_to_one():
  from wgan_jax.metrics.classifier import cluster_accuracy
  labels = np.array([0, 0, 1, 1, 2, 2, 2])
  clusters = np.array([2, 2, 0, 0, 1, 1, 0])  # a relabelling, one example off
  accuracy, mapping = cluster_accuracy(clusters, labels, 3, 3)
  assert accuracy == pytest.approx(6 / 7)
  np.testing.assert_array_equal(mapping, [1, 2, 0])
  # Two clusters cannot both take class 0: the second is matched to a class it rarely hits.
  accuracy, mapping = cluster_accuracy(np.array([0, 1, 0, 1]), np.array([0, 0, 0, 1]), 2, 2)
  assert accuracy == pytest.approx(3 / 4) and list(mapping) == [0, 1]


def test_the_critic_classifier_scores_a_classifier_head_and_refuses_other_critics():
  import jax
  import jax.numpy as jnp
  import optax

  from wgan_jax.metrics.classifier import CriticClassifier
  from wgan_jax.models import MLPCritic, MLPGenerator
  from wgan_jax.state import init_state

  critic = MLPCritic(width=8, depth=1, num_classes=3, conditioning="semi_supervised")
  generator = MLPGenerator(output_shape=(4,), latent_dim=2, width=8)
  tx = optax.adam(1e-3)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 4)))
  x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
  classifier = CriticClassifier(critic, batch_size=3)  # batches of 3, 3 and 1
  predicted = classifier.predict(state, x)
  _, logits = critic.apply({"params": state.critic_params}, x)
  np.testing.assert_array_equal(predicted, np.argmax(logits, -1))
  scores = classifier(state, {"x": x, "label": predicted})
  assert scores == {"classifier_error": 0.0, "classifier_error_worst": 0.0,
                    "cluster_accuracy": 1.0}
  with pytest.raises(ValueError, match="classifier head"):
    CriticClassifier(MLPCritic(width=8, num_classes=3, conditioning="projection"))
  # InfoGAN's Q head: the categorical code's logits (its first 3 of 5 outputs) are the classes.
  from wgan_jax.latent import LatentPrior
  q_critic = MLPCritic(width=8, depth=1, num_classes=5, conditioning="info")
  state = init_state(generator, q_critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 4)))
  q_classifier = CriticClassifier(q_critic, latent=LatentPrior(6, categorical=3, continuous=2))
  _, q = q_critic.apply({"params": state.critic_params}, x)
  assert q_classifier.num_classes == 3
  np.testing.assert_array_equal(q_classifier.predict(state, x), np.argmax(q[:, :3], -1))
  with pytest.raises(ValueError, match="classifier head"):
    CriticClassifier(q_critic)  # without the prior, the Q head's classes are unknown
