"""Idiomatic PyTorch (eager) peers of the library's models and train step, for timing only.

Each peer follows the official code of its paper (the WGAN repository's
DCGAN_G / DCGAN_D, WGAN-GP's `gan_cifar.py`, `gan_cifar_resnet.py` and
`gan_toy.py`) and is built from the same config the JAX run reads, so the
two sides train the same architectures with the same losses, batch and
n_critic. A generator iteration is `n_critic` critic updates (weight clipping
after each, or the gradient penalty through `autograd.grad(create_graph=True)`)
followed by one generator update.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch
from torch import nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------- models


class GanCifarGenerator(nn.Module):
  """WGAN-GP `gan_cifar.py` / `gan_mnist.py` generator (5x5 transposed convs, 'SAME')."""

  def __init__(self, latent_dim, dim, channels, image_size, batch_norm=True):
    super().__init__()
    norm1d = nn.BatchNorm1d if batch_norm else (lambda n: nn.Identity())
    norm2d = nn.BatchNorm2d if batch_norm else (lambda n: nn.Identity())
    self.dim, self.image_size = dim, image_size
    self.project = nn.Sequential(nn.Linear(latent_dim, 4 * 4 * 4 * dim), norm1d(4 * 4 * 4 * dim),
                                 nn.ReLU())
    deconv = lambda i, o: nn.ConvTranspose2d(i, o, 5, 2, padding=2, output_padding=1)  # noqa: E731
    self.block1 = nn.Sequential(deconv(4 * dim, 2 * dim), norm2d(2 * dim), nn.ReLU())
    self.block2 = nn.Sequential(deconv(2 * dim, dim), norm2d(dim), nn.ReLU())
    self.out = deconv(dim, channels)

  def forward(self, z):
    x = self.project(z).view(-1, 4 * self.dim, 4, 4)
    x = self.block1(x)
    if self.image_size == 28:
      x = x[:, :, :7, :7]
    return torch.tanh(self.out(self.block2(x)))


class GanCifarCritic(nn.Module):
  """WGAN-GP `gan_cifar.py` critic: three 5x5 stride-2 convs with LeakyReLU and a linear head."""

  def __init__(self, dim, channels, image_size):
    super().__init__()
    conv = lambda i, o: nn.Conv2d(i, o, 5, 2, padding=2)  # noqa: E731
    self.net = nn.Sequential(conv(channels, dim), nn.LeakyReLU(0.2), conv(dim, 2 * dim),
                             nn.LeakyReLU(0.2), conv(2 * dim, 4 * dim), nn.LeakyReLU(0.2))
    side = math.ceil(math.ceil(math.ceil(image_size / 2) / 2) / 2)
    self.head = nn.Linear(4 * dim * side * side, 1)

  def forward(self, x):
    return self.head(self.net(x).flatten(1)).view(-1)


class DCGANGenerator(nn.Module):
  """The WGAN repository's DCGAN_G (or DCGAN_G_nobn)."""

  def __init__(self, latent_dim, ngf, channels, image_size, batch_norm=True):
    super().__init__()
    norm = nn.BatchNorm2d if batch_norm else (lambda n: nn.Identity())
    features, size = ngf // 2, 4
    while size != image_size:
      features, size = features * 2, size * 2
    layers = [nn.ConvTranspose2d(latent_dim, features, 4, 1, 0, bias=False), norm(features),
              nn.ReLU(True)]
    size = 4
    while size < image_size // 2:
      layers += [nn.ConvTranspose2d(features, features // 2, 4, 2, 1, bias=False),
                 norm(features // 2), nn.ReLU(True)]
      features, size = features // 2, size * 2
    layers += [nn.ConvTranspose2d(features, channels, 4, 2, 1, bias=False), nn.Tanh()]
    self.net = nn.Sequential(*layers)

  def forward(self, z):
    return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANCritic(nn.Module):
  """The WGAN repository's DCGAN_D."""

  def __init__(self, ndf, channels, image_size, batch_norm=True):
    super().__init__()
    layers = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
    features, size = ndf, image_size // 2
    while size > 4:
      layers += [nn.Conv2d(features, 2 * features, 4, 2, 1, bias=False),
                 nn.BatchNorm2d(2 * features) if batch_norm else nn.Identity(),
                 nn.LeakyReLU(0.2, True)]
      features, size = 2 * features, size // 2
    layers += [nn.Conv2d(features, 1, 4, 1, 0, bias=False)]
    self.net = nn.Sequential(*layers)

  def forward(self, x):
    return self.net(x).view(-1)


class _UpBlock(nn.Module):
  def __init__(self, cin, cout):
    super().__init__()
    self.bn1, self.bn2 = nn.BatchNorm2d(cin), nn.BatchNorm2d(cout)
    self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
    self.shortcut = nn.Conv2d(cin, cout, 1)

  def forward(self, x):
    up = lambda t: F.interpolate(t, scale_factor=2, mode="nearest")  # noqa: E731
    h = self.conv1(up(F.relu(self.bn1(x))))
    h = self.conv2(F.relu(self.bn2(h)))
    return self.shortcut(up(x)) + h


class _DownBlock(nn.Module):
  def __init__(self, cin, cout, downsample, first=False):
    super().__init__()
    self.first, self.downsample = first, downsample
    self.conv1 = nn.Conv2d(cin, cin if downsample and not first else cout, 3, padding=1)
    self.conv2 = nn.Conv2d(self.conv1.out_channels, cout, 3, padding=1)
    self.shortcut = nn.Conv2d(cin, cout, 1) if (downsample or cin != cout) else None

  def forward(self, x):
    pool = lambda t: F.avg_pool2d(t, 2)  # noqa: E731
    if self.first:
      return self.shortcut(pool(x)) + pool(self.conv2(F.relu(self.conv1(x))))
    h = self.conv2(F.relu(self.conv1(F.relu(x))))
    if self.downsample:
      return pool(self.shortcut(x)) + pool(h)
    return (self.shortcut(x) if self.shortcut is not None else x) + h


class ResNetGenerator(nn.Module):
  """WGAN-GP `gan_cifar_resnet.py` generator (unconditional)."""

  def __init__(self, latent_dim, dim, channels):
    super().__init__()
    self.dim = dim
    self.project = nn.Linear(latent_dim, 4 * 4 * dim)
    self.blocks = nn.Sequential(*[_UpBlock(dim, dim) for _ in range(3)])
    self.bn, self.out = nn.BatchNorm2d(dim), nn.Conv2d(dim, channels, 3, padding=1)

  def forward(self, z):
    x = self.blocks(self.project(z).view(-1, self.dim, 4, 4))
    return torch.tanh(self.out(F.relu(self.bn(x))))


class ResNetCritic(nn.Module):
  """WGAN-GP `gan_cifar_resnet.py` critic (unconditional)."""

  def __init__(self, dim, channels):
    super().__init__()
    self.blocks = nn.Sequential(_DownBlock(channels, dim, True, first=True),
                                _DownBlock(dim, dim, True), _DownBlock(dim, dim, False),
                                _DownBlock(dim, dim, False))
    self.head = nn.Linear(dim, 1)

  def forward(self, x):
    return self.head(F.relu(self.blocks(x)).mean(dim=(2, 3))).view(-1)


class MLP(nn.Module):
  def __init__(self, cin, width, depth, cout, out_shape=None):
    super().__init__()
    layers, features = [], cin
    for _ in range(depth):
      layers += [nn.Linear(features, width), nn.ReLU(True)]
      features = width
    self.net = nn.Sequential(*layers, nn.Linear(features, cout))
    self.out_shape = out_shape

  def forward(self, x):
    y = self.net(x.flatten(1))
    return y.view(-1, *self.out_shape) if self.out_shape else y.view(-1)


def build_models(model: Mapping[str, Any], example_shape: tuple[int, ...]):
  """(generator, critic) as torch modules for the library's model config; NCHW for images."""
  g, c = dict(model["generator"]), dict(model["critic"])
  if len(example_shape) == 3:
    size, channels = example_shape[0], example_shape[2]
  for spec in (g, c):
    if spec.get("kind") == "dcgan" and spec.get("n_extra_layers", 0):
      raise NotImplementedError("The PyTorch peer has no n_extra_layers.")
    if spec.get("normalization") == "layer":
      raise NotImplementedError("The PyTorch peer has no LayerNorm critic.")
    if spec.get("num_classes"):
      raise NotImplementedError("The PyTorch peer is unconditional.")
  latent = g.get("latent_dim", 128)
  if g["kind"] == "gp_dcgan":
    generator = GanCifarGenerator(latent, g.get("width", 128), channels, size,
                                  g.get("normalization", "batch") == "batch")
  elif g["kind"] == "dcgan":
    generator = DCGANGenerator(latent, g.get("width", 64), channels, size,
                               g.get("normalization", "batch") == "batch")
  elif g["kind"] == "resnet":
    generator = ResNetGenerator(latent, g.get("width", 128), channels)
  elif g["kind"] == "mlp":
    out_shape = tuple(example_shape) if len(example_shape) == 1 else (channels, size, size)
    generator = MLP(latent, g.get("width", 512), g.get("depth", 3), math.prod(example_shape),
                    out_shape)
  else:
    raise NotImplementedError(f"No PyTorch peer for generator kind {g['kind']!r}.")
  if c["kind"] == "gp_dcgan":
    critic = GanCifarCritic(c.get("width", 128), channels, size)
  elif c["kind"] == "dcgan":
    critic = DCGANCritic(c.get("width", 64), channels, size, c.get("normalization") == "batch")
  elif c["kind"] == "resnet":
    critic = ResNetCritic(c.get("width", 128), channels)
  elif c["kind"] == "mlp":
    critic = MLP(math.prod(example_shape), c.get("width", 512), c.get("depth", 3), 1)
  else:
    raise NotImplementedError(f"No PyTorch peer for critic kind {c['kind']!r}.")
  return generator, critic


# ----------------------------------------------------------------------------- the step


def _optimizer(params, spec: Mapping[str, Any]):
  if spec["name"] == "adam":
    return torch.optim.Adam(params, lr=spec["learning_rate"], betas=(spec["b1"], spec["b2"]))
  if spec["name"] == "rmsprop":
    return torch.optim.RMSprop(params, lr=spec["learning_rate"], alpha=spec.get("decay", 0.99),
                               eps=spec.get("eps", 1e-8))
  raise NotImplementedError(f"No PyTorch peer for optimizer {spec['name']!r}.")


class TorchStep:
  """One generator iteration of the library's step, in idiomatic eager PyTorch."""

  def __init__(self, config, example_shape: tuple[int, ...], compile_models: bool = False):
    if config.objective != "wasserstein":
      raise NotImplementedError("The PyTorch peer times the Wasserstein objectives only.")
    self.generator, self.critic = build_models(config.model, example_shape)
    if compile_models:
      self.generator, self.critic = torch.compile(self.generator), torch.compile(self.critic)
    self.g_opt = _optimizer(self.generator.parameters(), config.optimizer.generator)
    self.c_opt = _optimizer(self.critic.parameters(), config.optimizer.critic)
    self.constraint = config.constraint.kind
    self.penalty_weight, self.clip = config.constraint.weight, config.constraint.clip_value
    self.latent = config.model.generator.get("latent_dim", 128)
    self.batch = config.batch_size
    self.generator_batch = config.batch_size * config.generator_batch_multiple

  def _penalty(self, real, fake):
    alpha = torch.rand(real.shape[0], *([1] * (real.ndim - 1)))
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(self.critic(x_hat).sum(), x_hat, create_graph=True)
    return self.penalty_weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

  def __call__(self, real_batches: torch.Tensor) -> float:
    """`real_batches`: [n_critic, batch, ...] (NCHW images). Returns the last critic loss."""
    for p in self.critic.parameters():
      p.requires_grad_(True)
    for real in real_batches:
      with torch.no_grad():
        fake = self.generator(torch.randn(real.shape[0], self.latent))
      loss = self.critic(fake).mean() - self.critic(real).mean()
      if self.constraint == "penalty":
        loss = loss + self._penalty(real, fake)
      self.c_opt.zero_grad(set_to_none=True)
      loss.backward()
      self.c_opt.step()
      if self.constraint == "clip":
        with torch.no_grad():
          for p in self.critic.parameters():
            p.clamp_(-self.clip, self.clip)
    for p in self.critic.parameters():
      p.requires_grad_(False)
    g_loss = -self.critic(self.generator(torch.randn(self.generator_batch, self.latent))).mean()
    self.g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    self.g_opt.step()
    return loss.detach()
