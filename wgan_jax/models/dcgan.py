"""DCGAN generators and critics.

Two families live here:

* `DCGANGenerator` / `DCGANCritic`: the WGAN paper's official DCGAN (4x4
  kernels, stride-2 pyramids, `n_extra_layers`, no biases, N(0, 0.02) init)
  at 32 or 64 px. `normalization='none', constant_width=True` in the
  generator is the WGAN paper's Fig. 6 "generator without BatchNorm and a
  constant number of filters" (about 12x fewer parameters; the official code's
  `DCGAN_G_nobn` keeps the halving widths); the critic's normalization is
  'none' | 'batch' | 'layer' ('layer' is what the WGAN-GP `gan_64x64` DCGAN
  critic uses).
* `GPDCGANGenerator` / `GPDCGANCritic`: the WGAN-GP code's `gan_cifar`
  (32 px, 3 channels) and `gan_mnist` (28 px, 1 channel) models: a linear
  projection to 4x4, 5x5 transposed convolutions with 'SAME' padding, and a
  three-convolution LeakyReLU critic with a linear head.
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from wgan_jax.models.conv import Conv, ConvTranspose, ModuleDef
from wgan_jax.models.layers import (activate, activation_width, check_activation,
                                    condition_input, condition_noise, dcgan_kernel_init,
                                    normalization, with_class_term)


def _check_power_of_two_size(image_size: int) -> None:
  if image_size < 16 or image_size & (image_size - 1):
    raise ValueError(
        f"The WGAN DCGAN needs an image size that is a power of two and at least 16, "
        f"got {image_size}.")


class DCGANGenerator(nn.Module):
  """The WGAN paper's DCGAN generator (official `DCGAN_G`; `DCGAN_G_nobn` with normalization='none').

  The pyramid halves the filters per layer from `width/2 * image_size/4` down to
  `width`; `constant_width=True` uses `width` filters at every layer instead.
  """

  image_size: int = 64
  channels: int = 3
  latent_dim: int = 100
  width: int = 64  # ngf
  n_extra_layers: int = 0
  normalization: str = "batch"  # 'batch' | 'none'
  constant_width: bool = False
  activation: str = "relu"  # the hidden nonlinearity, one of layers.ACTIVATIONS
  num_classes: int = 0  # > 0: the one-hot label joined to the noise (conditional GAN)
  axis_name: str | None = None
  conv_transpose: ModuleDef = ConvTranspose  # see wgan_jax.models.conv
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    z = condition_noise(z, labels, self.num_classes)
    _check_power_of_two_size(self.image_size)
    if self.normalization not in ("batch", "none"):
      raise ValueError(f"DCGAN generator normalization must be 'batch' or 'none', got "
                       f"{self.normalization!r}.")
    check_activation(self.activation)
    wide = lambda features: activation_width(self.activation, features)  # noqa: E731
    conv_t = lambda features, **kw: self.conv_transpose(  # noqa: E731
        features, (4, 4), use_bias=False, kernel_init=dcgan_kernel_init, **kw)
    norm = lambda: normalization(self.normalization, self.axis_name, dcgan_init=True)  # noqa: E731

    features = self.width if self.constant_width else (self.width // 2) * (self.image_size // 4)

    x = z.reshape((z.shape[0], 1, 1, -1))
    # 1x1 -> 4x4 (PyTorch ConvTranspose2d(k=4, s=1, p=0)).
    x = conv_t(wide(features), strides=(1, 1), padding=((3, 3), (3, 3)), name="initial")(x)
    x = activate(self.activation, norm()(x, train))
    size = 4
    while size < self.image_size // 2:
      features = self.width if self.constant_width else features // 2
      # PyTorch ConvTranspose2d(k=4, s=2, p=1) doubles the size.
      x = conv_t(wide(features), strides=(2, 2), padding=((2, 2), (2, 2)),
                 name=f"pyramid_{size}")(x)
      x = activate(self.activation, norm()(x, train))
      size *= 2
    for i in range(self.n_extra_layers):
      x = self.conv(wide(features), (3, 3), padding=((1, 1), (1, 1)), use_bias=False,
                    kernel_init=dcgan_kernel_init, name=f"extra_{i}")(x)
      x = activate(self.activation, norm()(x, train))
    x = conv_t(self.channels, strides=(2, 2), padding=((2, 2), (2, 2)), name="final")(x)
    return jnp.tanh(x)


class DCGANCritic(nn.Module):
  """The WGAN paper's DCGAN critic (official `DCGAN_D`), returning one score per example."""

  width: int = 64  # ndf
  n_extra_layers: int = 0
  normalization: str = "batch"  # 'none' | 'batch' | 'layer'
  activation: str = "leaky_relu"  # the hidden nonlinearity, one of layers.ACTIVATIONS
  num_classes: int = 0  # > 0: class-conditional, as `conditioning` says
  conditioning: str = "projection"  # one of layers.CONDITIONINGS
  code_dim: int = 0  # > 0 with conditioning "info": the width of the InfoGAN Q head
  axis_name: str | None = None
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    x = condition_input(x, labels, self.num_classes, self.conditioning)
    image_size = x.shape[1]
    _check_power_of_two_size(image_size)
    conv = lambda features, k, s, p, name: self.conv(  # noqa: E731
        features, (k, k), strides=(s, s), padding=((p, p), (p, p)), use_bias=False,
        kernel_init=dcgan_kernel_init, name=name)
    norm = lambda: normalization(self.normalization, self.axis_name, dcgan_init=True)  # noqa: E731
    check_activation(self.activation)
    act = lambda x: activate(self.activation, x)  # noqa: E731
    wide = lambda features: activation_width(self.activation, features)  # noqa: E731

    features = self.width
    x = act(conv(wide(features), 4, 2, 1, "initial")(x))
    size = image_size // 2
    for i in range(self.n_extra_layers):
      x = act(norm()(conv(wide(features), 3, 1, 1, f"extra_{i}")(x), train))
    while size > 4:
      features *= 2
      x = act(norm()(conv(wide(features), 4, 2, 1, f"pyramid_{size}")(x), train))
      size //= 2
    score = conv(1, 4, 1, 0, "final")(x).reshape((x.shape[0],))  # a linear map of the 4x4 map
    return with_class_term(score, x.reshape((x.shape[0], -1)), labels, self.num_classes,
                           self.conditioning, self.code_dim)


class GPDCGANGenerator(nn.Module):
  """The WGAN-GP `gan_cifar` (image_size=32), `gan_mnist` (28) and `gan_64x64` DCGAN (64) generator.

  `gan_mnist` ends in a sigmoid over [0, 1] pixels in the official code; this
  library keeps images in [-1, 1], so the default output is tanh (the same
  function up to an affine change of pixel scale).
  """

  image_size: int = 32  # 32 (gan_cifar), 28 (gan_mnist) or 64 (gan_64x64's DCGAN)
  channels: int = 3
  latent_dim: int = 128
  width: int = 128  # DIM
  normalization: str = "batch"  # 'batch' | 'none'
  output_activation: str = "tanh"  # 'tanh' | 'sigmoid'
  # The WGAN-GP paper's architecture studies: the hidden nonlinearity (layers.ACTIVATIONS),
  # extra 5x5 layers at the last hidden resolution (depth), and `width` filters at every layer
  # instead of 4, 2, 1 times it (with normalization='none': Fig. 2's generator without
  # BatchNorm and with a constant number of filters).
  activation: str = "relu"
  n_extra_layers: int = 0
  constant_width: bool = False
  num_classes: int = 0  # > 0: the one-hot label joined to the noise (conditional GAN)
  axis_name: str | None = None
  conv_transpose: ModuleDef = ConvTranspose  # see wgan_jax.models.conv
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    z = condition_noise(z, labels, self.num_classes)
    if self.image_size not in (28, 32, 64):
      raise ValueError(f"GPDCGANGenerator supports 28 (gan_mnist), 32 (gan_cifar) or 64 "
                       f"(gan_64x64) px, got {self.image_size}.")
    if self.normalization not in ("batch", "none"):
      raise ValueError(f"Generator normalization must be 'batch' or 'none', got "
                       f"{self.normalization!r}.")
    check_activation(self.activation)
    # Filters from 4x4 up: 4, 2, 1 times the width at 28 and 32 px, 8, 4, 2, 1 at 64 px.
    multiples = (8, 4, 2, 1) if self.image_size == 64 else (4, 2, 1)
    dims = [self.width * (1 if self.constant_width else m) for m in multiples]
    norm = lambda: normalization(self.normalization, self.axis_name)  # noqa: E731
    act = lambda x: activate(self.activation, x)  # noqa: E731
    wide = lambda features: activation_width(self.activation, features)  # noqa: E731
    deconv = lambda features, name: self.conv_transpose(  # noqa: E731
        features, (5, 5), strides=(2, 2), padding="SAME", name=name)

    x = nn.Dense(4 * 4 * wide(dims[0]), name="project")(z)
    x = act(norm()(x, train).reshape((z.shape[0], 4, 4, wide(dims[0]))))
    for i, features in enumerate(dims[1:], start=1):
      x = act(norm()(deconv(wide(features), f"deconv_{i}")(x), train))
      if self.image_size == 28 and i == 1:
        x = x[:, :7, :7, :]
    for i in range(self.n_extra_layers):
      x = self.conv(wide(dims[-1]), (5, 5), padding="SAME", name=f"extra_{i}")(x)
      x = act(norm()(x, train))
    x = deconv(self.channels, "deconv_out")(x)
    if self.output_activation == "sigmoid":
      return nn.sigmoid(x)
    return jnp.tanh(x)


class GPDCGANCritic(nn.Module):
  """The WGAN-GP `gan_cifar` / `gan_mnist` critic: three 5x5 stride-2 convolutions and a linear
  head (four at 64 px, `gan_64x64.py`'s DCGAN discriminator)."""

  width: int = 128  # DIM
  normalization: str = "none"  # 'none' (WGAN-GP) | 'batch' (gan_mnist's weight-clipping mode) | 'layer'
  # The hidden nonlinearity (layers.ACTIVATIONS) and extra 5x5 layers after the first
  # convolution, at its resolution (depth), for the WGAN-GP paper's architecture studies.
  activation: str = "leaky_relu"
  n_extra_layers: int = 0
  num_classes: int = 0  # > 0: class-conditional, as `conditioning` says
  conditioning: str = "projection"  # one of layers.CONDITIONINGS
  code_dim: int = 0  # > 0 with conditioning "info": the width of the InfoGAN Q head
  axis_name: str | None = None
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    x = condition_input(x, labels, self.num_classes, self.conditioning)
    check_activation(self.activation)
    image_size = x.shape[1]
    dim = self.width
    norm = lambda: normalization(self.normalization, self.axis_name)  # noqa: E731
    act = lambda x: activate(self.activation, x)  # noqa: E731
    wide = lambda features: activation_width(self.activation, features)  # noqa: E731
    conv = lambda features, name, stride=2: self.conv(  # noqa: E731
        wide(features), (5, 5), strides=(stride, stride), padding="SAME", name=name)
    x = act(conv(dim, "conv_1")(x))
    for i in range(self.n_extra_layers):
      x = act(norm()(conv(dim, f"extra_{i}", stride=1)(x), train))
    # conv_2 and conv_3 (down to 4x4 at 28 and 32 px), and conv_4 at 64 px.
    for layer in range(2, 5 if image_size == 64 else 4):
      x = act(norm()(conv(2 ** (layer - 1) * dim, f"conv_{layer}")(x), train))
    features = x.reshape((x.shape[0], -1))
    return with_class_term(nn.Dense(1, name="output")(features)[:, 0], features, labels,
                           self.num_classes, self.conditioning, self.code_dim)
