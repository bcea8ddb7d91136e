"""Convolutions with a choice of lowering, and the factories models take them from.

Models never pick a lowering themselves: they take `conv` and `conv_transpose`
constructors (module fields, as flax's ImageNet example takes `conv`), and
`create_models` fills them once from the config with `conv_factories`.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

# Two XLA CPU slow paths make convolutions the bottleneck of a GAN step on CPU:
# the gradients of strided and transposed convolutions become input-dilated
# convolutions run by a slow generic loop (20-50x slower than PyTorch on the
# WGAN-GP `gan_cifar` step), and inside a while loop -- the fused step's critic
# loop -- even stride-1 convolutions' gradients leave the fast path
# (jax-ml/jax#12868; measured here 48x slower for the kernel gradient of a 3x3
# convolution, 27x for the whole CIFAR-10 ResNet step). The 'patches'
# lowering computes every convolution from shifted (strided) slices and one
# matrix multiply, and transposed convolutions per output phase ("sub-pixel":
# each phase a stride-1 convolution written the same way; or, for narrow
# outputs, from the input side), all of whose gradients XLA's CPU backend runs
# well, in loops too. Parameters are those of `nn.Conv` / `nn.ConvTranspose`,
# so a checkpoint trained with one lowering loads with the other.

CONV_LOWERINGS = ("auto", "xla", "patches")
_NHWC = ("NHWC", "HWIO", "NHWC")


def resolve_lowering(lowering: str) -> str:
  """'auto' means 'patches' on CPU and XLA's own convolutions on GPU and TPU."""
  if lowering not in CONV_LOWERINGS:
    raise ValueError(f"Unknown conv_lowering {lowering!r}; choose one of {CONV_LOWERINGS}.")
  if lowering == "auto":
    return "patches" if jax.default_backend() == "cpu" else "xla"
  return lowering


def _pairs(value, n=2):
  return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def conv_patches(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                 pads: tuple[tuple[int, int], ...]) -> jax.Array:
  """A convolution (NHWC, HWIO) as strided slices of the padded input and one matrix multiply."""
  (kh, kw), (sh, sw) = kernel.shape[:2], strides
  x = jnp.pad(x, ((0, 0), *pads, (0, 0)))
  out_h, out_w = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
  taps = [jax.lax.slice(x, (0, i, j, 0), (x.shape[0], i + sh * (out_h - 1) + 1,
                                          j + sw * (out_w - 1) + 1, x.shape[3]), (1, sh, sw, 1))
          for i in range(kh) for j in range(kw)]
  patches = jnp.concatenate(taps, axis=-1)
  return patches @ kernel.reshape(-1, kernel.shape[-1]).astype(patches.dtype)


def _phase_taps(k: int, s: int, pad_lo: int):
  """For each output phase r of a stride-s transposed convolution: (first input offset, kernel taps)."""
  phases = []
  for r in range(s):
    first_tap = (pad_lo - r) % s
    taps = list(range(first_tap, k, s))
    phases.append(((r + first_tap - pad_lo) // s, taps))
  return phases


def conv_transpose_subpixel(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                            pads: tuple[tuple[int, int], ...]) -> jax.Array:
  """`lax.conv_transpose` (input dilated by `strides`, explicit `pads`, kernel not flipped)
  computed per output phase ("sub-pixel"): each phase is a stride-1 convolution of the input
  with the kernel taps that reach it, as shifted slices and one matrix multiply, and the
  phases are interleaved (depth-to-space). No multiply touches a dilation zero."""
  (kh, kw), (sh, sw) = kernel.shape[:2], strides
  height, width = x.shape[1:3]
  out_h = (height - 1) * sh + 1 + sum(pads[0]) - kh + 1
  out_w = (width - 1) * sw + 1 + sum(pads[1]) - kw + 1
  rows, cols = -(-out_h // sh), -(-out_w // sw)  # outputs per phase (the last ones cropped below)
  phases_h, phases_w = _phase_taps(kh, sh, pads[0][0]), _phase_taps(kw, sw, pads[1][0])
  lo_h, hi_h = _window(phases_h)
  lo_w, hi_w = _window(phases_w)
  # Input rows lo_h .. rows-1+hi_h feed the outputs; out-of-range rows are the dilation's zeros.
  x = jax.lax.pad(x, jnp.zeros((), x.dtype),
                  ((0, 0, 0), (-lo_h, rows - 1 + hi_h - (height - 1), 0),
                   (-lo_w, cols - 1 + hi_w - (width - 1), 0), (0, 0, 0)))
  shifted = {}

  def window(i, j):  # the input shifted by (i, j) rows and columns, one slice per offset
    if (i, j) not in shifted:
      shifted[(i, j)] = x[:, i:i + rows, j:j + cols, :]
    return shifted[(i, j)]

  batch, cout = x.shape[0], kernel.shape[-1]
  outputs = []
  for d_h, taps_h in phases_h:
    for d_w, taps_w in phases_w:
      if not taps_h or not taps_w:
        outputs.append(jnp.zeros((batch, rows, cols, cout), x.dtype))
        continue
      taps = kernel[np.asarray(taps_h)][:, np.asarray(taps_w)].astype(x.dtype)
      patches = jnp.concatenate([window(d_h - lo_h + u, d_w - lo_w + v)
                                 for u in range(len(taps_h)) for v in range(len(taps_w))], -1)
      outputs.append(patches @ taps.reshape(-1, cout))
  y = jnp.stack(outputs, axis=3).reshape(batch, rows, cols, sh, sw, cout)
  y = y.transpose(0, 1, 3, 2, 4, 5).reshape(batch, rows * sh, cols * sw, cout)
  return y[:, :out_h, :out_w]


def conv_transpose_col2im(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                          pads: tuple[tuple[int, int], ...]) -> jax.Array:
  """The same transposed convolution from the input side: one matrix multiply gives every
  input pixel's contribution through each kernel tap, and each output phase sums the shifted
  contributions of its taps (col2im without strided writes), then phases interleave. Cheaper
  than `conv_transpose_subpixel` when the layer narrows the channels, as generators do."""
  (kh, kw), (sh, sw) = kernel.shape[:2], strides
  batch, height, width, cin = x.shape
  cout = kernel.shape[-1]
  out_h = (height - 1) * sh + 1 + sum(pads[0]) - kh + 1
  out_w = (width - 1) * sw + 1 + sum(pads[1]) - kw + 1
  rows, cols_out = -(-out_h // sh), -(-out_w // sw)
  phases_h, phases_w = _phase_taps(kh, sh, pads[0][0]), _phase_taps(kw, sw, pads[1][0])
  lo_h, hi_h = _window(phases_h)
  lo_w, hi_w = _window(phases_w)
  weights = kernel.transpose(2, 0, 1, 3).reshape(cin, kh * kw * cout).astype(x.dtype)
  cols = (x @ weights).reshape(batch, height, width, kh, kw, cout)
  cols = jax.lax.pad(cols, jnp.zeros((), x.dtype),
                     ((0, 0, 0), (-lo_h, rows - 1 + hi_h - (height - 1), 0),
                      (-lo_w, cols_out - 1 + hi_w - (width - 1), 0),
                      (0, 0, 0), (0, 0, 0), (0, 0, 0)))
  outputs = []
  for d_h, taps_h in phases_h:
    for d_w, taps_w in phases_w:
      y = jnp.zeros((batch, rows, cols_out, cout), x.dtype)
      for u, th in enumerate(taps_h):
        for v, tw in enumerate(taps_w):
          i, j = d_h - lo_h + u, d_w - lo_w + v
          y = y + cols[:, i:i + rows, j:j + cols_out, th, tw, :]
      outputs.append(y)
  y = jnp.stack(outputs, axis=3).reshape(batch, rows, cols_out, sh, sw, cout)
  y = y.transpose(0, 1, 3, 2, 4, 5).reshape(batch, rows * sh, cols_out * sw, cout)
  return y[:, :out_h, :out_w]


def _window(phases) -> tuple[int, int]:
  """The input offsets (first, last) that any output phase reads."""
  return (min(d for d, _ in phases), max(d + max(len(t), 1) - 1 for d, t in phases))


def _transpose_padding(k: int, s: int, padding: str) -> tuple[int, int]:
  """The explicit padding `lax.conv_transpose` uses for 'SAME' / 'VALID' (on the dilated input)."""
  if padding == "SAME":
    total = k + s - 2
    first = k - 1 if s > k - 1 else -(-total // 2)
  elif padding == "VALID":
    total, first = k + s - 2 + max(k - s, 0), k - 1
  else:
    raise ValueError(f"Unsupported transposed-convolution padding {padding!r}.")
  return first, total - first


class _ConvLayer(nn.Module):
  """Fields and parameters shared by `Conv` and `ConvTranspose` (those of `nn.Conv`)."""

  features: int
  kernel_size: tuple[int, int]
  strides: tuple[int, int] | int = 1
  padding: Any = "SAME"
  use_bias: bool = True
  kernel_init: Callable[..., Any] = nn.initializers.lecun_normal()
  bias_init: Callable[..., Any] = nn.initializers.zeros
  lowering: str = "auto"

  @nn.compact
  def __call__(self, x):
    kernel_size, strides = _pairs(self.kernel_size), _pairs(self.strides)
    kernel = self.param("kernel", self.kernel_init, (*kernel_size, x.shape[-1], self.features))
    if isinstance(self.padding, str):
      pads = self._string_padding(x, kernel_size, strides)
    else:
      pads = tuple(tuple(p) for p in self.padding)
    patches = resolve_lowering(self.lowering) == "patches"
    y = self._convolve(x, kernel, strides, pads, patches)
    if self.use_bias:
      y = y + self.param("bias", self.bias_init, (self.features,)).astype(y.dtype)
    return y


class Conv(_ConvLayer):
  """`nn.Conv` (same parameters, same function) with a choice of lowering; see above."""

  def _string_padding(self, x, kernel_size, strides):
    return tuple(jax.lax.padtype_to_pads(x.shape[1:3], kernel_size, strides, self.padding))

  def _convolve(self, x, kernel, strides, pads, patches):
    if patches:
      return conv_patches(x, kernel, strides, pads)
    return jax.lax.conv_general_dilated(x, kernel.astype(x.dtype), strides, pads,
                                        dimension_numbers=_NHWC)


class ConvTranspose(_ConvLayer):
  """`nn.ConvTranspose` (same parameters, same function) with a choice of lowering; see above."""

  def _string_padding(self, x, kernel_size, strides):
    del x
    return tuple(_transpose_padding(k, s, self.padding) for k, s in zip(kernel_size, strides))

  def _convolve(self, x, kernel, strides, pads, patches):
    if patches:
      # Measured on CPU: the input-side form wins only for narrow outputs (an RGB layer).
      narrow = kernel.shape[-1] * kernel.shape[0] * kernel.shape[1] <= x.shape[-1]
      return (conv_transpose_col2im if narrow else conv_transpose_subpixel)(
          x, kernel, strides, pads)
    return jax.lax.conv_general_dilated(x, kernel.astype(x.dtype), (1, 1), pads,
                                        lhs_dilation=strides, dimension_numbers=_NHWC)


ModuleDef = Any  # a Module class or a functools.partial of one


def conv_factories(lowering: str = "auto") -> dict[str, ModuleDef]:
  """`{'conv': ..., 'conv_transpose': ...}` constructors for `lowering` ('auto' resolved here)."""
  resolved = resolve_lowering(lowering)
  return {"conv": functools.partial(Conv, lowering=resolved),
          "conv_transpose": functools.partial(ConvTranspose, lowering=resolved)}
