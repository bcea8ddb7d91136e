"""MNIST sample quality from a small classifier shipped with the package.

`scripts/train_mnist_classifier.py` trains `MNISTClassifier` on real MNIST
and writes `metrics/data/mnist_classifier.npz`: its parameters, its test
accuracy, and the mean and covariance of its 128-d features on the 10,000
test digits. From those, for generated digits in [-1, 1]:

* `mnist_frechet`: the Frechet distance between generated and test-set
  features (FID with this classifier in place of Inception);
* `mnist_class_entropy`: the entropy (nats) of the histogram of predicted
  classes; log(10) = 2.303 when all ten digits appear equally, lower under
  mode collapse;
* `mnist_confidence`: the mean top-class probability (blurry digits score low);
* `mnist_inception_score`: exp(E_x KL(p(y|x) || p(y))) with this classifier in place of
  Inception, over all the samples at once: between 1 (one class, or no confident class) and 10
  (confident digits of all ten classes in equal numbers);
* for digits generated for given classes (a conditional generator), `mnist_label_accuracy`:
  how often the classifier names the intended class, and `mnist_label_accuracy_worst`, the
  lowest of the ten per-class rates (`label_accuracy` gives all ten).
"""

from __future__ import annotations

import pathlib
import time

import flax.linen as nn
from flax import traverse_util
import jax
import jax.numpy as jnp
import numpy as np
import optax

from wgan_jax.extras import train_extra
from wgan_jax.metrics.classifier import cluster_accuracy, label_accuracy
from wgan_jax.metrics.fid import frechet_distance, gaussian_stats, inception_score

with train_extra(__name__):
  from tqdm import tqdm

SHIPPED = pathlib.Path(__file__).parent / "data" / "mnist_classifier.npz"
IMAGE_SIZE = 28


class MNISTClassifier(nn.Module):
  """Two conv + max-pool stages, a 128-unit feature layer, ten logits."""

  @nn.compact
  def __call__(self, x):
    for features in (32, 64):
      x = nn.relu(nn.Conv(features, (3, 3))(x))
      x = nn.max_pool(x, (2, 2), (2, 2))
    features = nn.relu(nn.Dense(128, name="features")(x.reshape((x.shape[0], -1))))
    return features, nn.Dense(10, name="logits")(features)


def _to_input(images: jax.Array) -> jax.Array:
  """[N, H, W, 1] in [-1, 1] -> 28x28 (antialiased resize where needed)."""
  if images.shape[1:3] != (IMAGE_SIZE, IMAGE_SIZE):
    images = jax.image.resize(images, (images.shape[0], IMAGE_SIZE, IMAGE_SIZE, images.shape[3]),
                              "linear", antialias=True)
  return images


class MNISTScorer:
  """Loads the shipped (or given) classifier and scores batches of generated digits."""

  def __init__(self, path: str | pathlib.Path | None = None, batch_size: int = 500):
    path = pathlib.Path(path) if path else SHIPPED
    if not path.exists():
      raise FileNotFoundError(f"No MNIST classifier at {path}; train one with "
                              f"`python scripts/train_mnist_classifier.py --data DIR`.")
    with np.load(path) as data:
      self.params = traverse_util.unflatten_dict(
          {k[len("params/"):]: data[k] for k in data.files if k.startswith("params/")}, sep="/")
      self.mu, self.sigma = data["feature_mu"], data["feature_sigma"]
      self.test_accuracy = float(data["test_accuracy"])
    self.batch_size = batch_size
    model = MNISTClassifier()
    self._apply = jax.jit(lambda p, x: model.apply({"params": p}, _to_input(x)))

  def features_and_probs(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features, probs = [], []
    for i in range(0, len(images), self.batch_size):
      f, logits = self._apply(self.params, jnp.asarray(images[i:i + self.batch_size], jnp.float32))
      features.append(np.asarray(f, np.float64))
      probs.append(np.asarray(jax.nn.softmax(logits), np.float64))
    return np.concatenate(features), np.concatenate(probs)

  def __call__(self, images: np.ndarray, labels: np.ndarray | None = None,
               codes: np.ndarray | None = None) -> dict[str, float]:
    """The metrics above; `labels`, the class each image was generated for, adds the two
    label accuracies; `codes`, an InfoGAN generator's categorical code of each image, adds how
    well the codes name digits under the best one-to-one matching of codes to digits."""
    if images.ndim != 4 or images.shape[-1] != 1:
      raise ValueError(f"The MNIST metric needs [N, H, W, 1] images, got {images.shape}.")
    features, probs = self.features_and_probs(images)
    histogram = np.bincount(probs.argmax(1), minlength=10) / len(probs)
    nonzero = histogram[histogram > 0]
    results = {"mnist_frechet": frechet_distance(*gaussian_stats(features), self.mu, self.sigma),
               "mnist_class_entropy": float(-np.sum(nonzero * np.log(nonzero))),
               "mnist_confidence": float(probs.max(1).mean()),
               "mnist_inception_score": inception_score(np.log(np.maximum(probs, 1e-30)),
                                                        splits=1)[0]}
    if labels is not None:
      overall, per_class = label_accuracy(probs.argmax(1), labels)
      results.update(mnist_label_accuracy=overall,
                     mnist_label_accuracy_worst=float(np.nanmin(per_class)))
    if codes is not None:
      results["mnist_code_accuracy"] = cluster_accuracy(
          codes, probs.argmax(1), int(codes.max()) + 1, 10)[0]
    return results

  def label_accuracy(self, images: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """`(accuracy, accuracy of each of the ten classes)` at naming each image's intended class."""
    return label_accuracy(self.features_and_probs(images)[1].argmax(1), labels)


def train_classifier(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
                     test_y: np.ndarray, epochs: int = 3, batch_size: int = 128,
                     learning_rate: float = 1e-3, seed: int = 0) -> dict[str, np.ndarray]:
  """Trains the classifier on uint8 images; returns the arrays `MNISTScorer` loads."""
  model = MNISTClassifier()
  scale = lambda x: x.astype(np.float32) / 127.5 - 1.0  # noqa: E731
  params = model.init(jax.random.PRNGKey(seed), jnp.zeros((1, 28, 28, 1)))["params"]
  tx = optax.adam(learning_rate)
  opt_state = tx.init(params)

  @jax.jit
  def step(params, opt_state, x, y):
    def loss_fn(p):
      logits = model.apply({"params": p}, x)[1]
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss

  rng = np.random.default_rng(seed)
  steps = len(train_x) // batch_size
  start = time.time()
  for epoch in range(epochs):
    order = rng.permutation(len(train_x))
    bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{epochs}", unit="batch")
    for i in bar:
      idx = order[i * batch_size:(i + 1) * batch_size]
      params, opt_state, loss = step(params, opt_state, scale(train_x[idx]), train_y[idx])
      if i % 50 == 0:
        bar.set_postfix(loss=f"{float(loss):.4f}")
  apply = jax.jit(lambda p, x: model.apply({"params": p}, x))
  features, predictions = [], []
  for i in range(0, len(test_x), 1000):
    f, logits = apply(params, scale(test_x[i:i + 1000]))
    features.append(np.asarray(f, np.float64))
    predictions.append(np.asarray(logits.argmax(-1)))
  accuracy = float(np.mean(np.concatenate(predictions) == test_y))
  mu, sigma = gaussian_stats(np.concatenate(features))
  flat = traverse_util.flatten_dict(jax.device_get(params), sep="/")
  return {**{f"params/{k}": np.asarray(v) for k, v in flat.items()},
          "feature_mu": mu, "feature_sigma": sigma, "test_accuracy": np.float64(accuracy),
          "train_seconds": np.float64(time.time() - start), "epochs": np.int64(epochs)}
