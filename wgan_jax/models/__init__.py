"""Model families and a registry that builds `(generator, critic)` from a config.

A model config names the generator and the critic separately, so the WGAN
paper's mixed settings (an MLP generator against a DCGAN critic) are one line:

    model = dict(generator=dict(kind='mlp', width=512),
                 critic=dict(kind='dcgan', normalization='batch'))

Every generator is called as `generator(z, labels=None, train=True)` and
exposes `latent_dim`; every critic is called as `critic(x, labels=None, train=True)`
and returns a score per example, or `(score, class_logits)` with a classifier head.
With labelled data (`data.use_labels`) the MLP, DCGAN and ResNet families are
class-conditional: the generator joins the one-hot label to its noise (the ResNet
uses class-conditional BatchNorm), and the critic takes the label as its
`conditioning` says: 'projection', 'input', 'acgan' or 'semi_supervised'
(`layers.CONDITIONINGS`). A generator given `num_classes=0` in its config stays
unconditional while the critic reads labels (the semi-supervised GAN).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

import flax.linen as nn

from wgan_jax.models.conv import conv_factories
from wgan_jax.models.dcgan import DCGANCritic, DCGANGenerator, GPDCGANCritic, GPDCGANGenerator
from wgan_jax.models.language import LanguageCritic, LanguageGenerator
from wgan_jax.models.mlp import MLPCritic, MLPGenerator, toy_critic, toy_generator
from wgan_jax.models.sngan import SNGANCritic, SNGANGenerator
from wgan_jax.models.resnet import (DeepResNetCritic, DeepResNetGenerator, ResNetCritic,
                                    ResNetGenerator)

GENERATORS: dict[str, type[nn.Module]] = {
    "dcgan": DCGANGenerator,
    "gp_dcgan": GPDCGANGenerator,
    "resnet": ResNetGenerator,
    "deep_resnet": DeepResNetGenerator,
    "mlp": MLPGenerator,
    "language": LanguageGenerator,
    "sngan": SNGANGenerator,
}
CRITICS: dict[str, type[nn.Module]] = {
    "dcgan": DCGANCritic,
    "gp_dcgan": GPDCGANCritic,
    "resnet": ResNetCritic,
    "deep_resnet": DeepResNetCritic,
    "mlp": MLPCritic,
    "language": LanguageCritic,
    "sngan": SNGANCritic,
}

# Fields filled from the data (or the model-wide config) rather than per network.
_DATA_FIELDS = ("image_size", "channels", "output_shape", "num_classes", "code_dim", "conv",
                "conv_transpose")


def _field_names(module_cls: type[nn.Module]) -> set[str]:
  return {f.name for f in dataclasses.fields(module_cls) if f.name not in ("parent", "name")}


def network_class(role: str, spec: Mapping[str, Any]) -> type[nn.Module]:
  """The module class a network spec (`{'kind': ..., **options}`) names, its options checked:
  a ValueError names an unknown kind or option and the valid ones."""
  registry = GENERATORS if role == "generator" else CRITICS
  kind = spec.get("kind")
  if kind not in registry:
    raise ValueError(f"Unknown {role} kind {kind!r}; choose one of {sorted(registry)}.")
  module_cls = registry[kind]
  allowed = _field_names(module_cls)
  unknown = sorted(set(spec) - allowed - {"kind"})
  if unknown:
    raise ValueError(f"Unknown {role} option(s) {unknown} for kind {kind!r}; valid options are "
                     f"{sorted(allowed - set(_DATA_FIELDS))}.")
  return module_cls


# The example rank each kind is built for: images [H, W, C] or text [length, vocabulary]
# (an MLP takes examples of any shape).
_EXAMPLE_RANK = {"dcgan": 3, "gp_dcgan": 3, "resnet": 3, "deep_resnet": 3, "sngan": 3,
                 "language": 2}


def _build(role: str, spec: Mapping[str, Any], data_fields: Mapping[str, Any]) -> nn.Module:
  module_cls = network_class(role, spec)
  rank, shape = _EXAMPLE_RANK.get(spec["kind"]), data_fields["output_shape"]
  if rank is not None and len(shape) != rank:
    built_for = "images [H, W, C]" if rank == 3 else "text [length, vocabulary]"
    raise ValueError(f"A {spec['kind']!r} {role} is built for {built_for}, but the examples "
                     f"have shape {shape}: choose kind='mlp', or data of that kind.")
  spec = {k: v for k, v in spec.items() if k != "kind"}
  allowed = _field_names(module_cls)
  kwargs = {k: v for k, v in data_fields.items() if k in allowed and k not in spec}
  kwargs.update(spec)
  return module_cls(**kwargs)


def create_models(model_config: Mapping[str, Any], data_shape: Sequence[int], num_classes: int = 0,
                  axis_name: str | None = None) -> tuple[nn.Module, nn.Module]:
  """Builds `(generator, critic)` for examples of shape `data_shape` (without the batch axis).

  `model_config['conv_lowering']` ('auto' | 'xla' | 'patches') picks, once, the
  convolution constructors every conv model is given (see `models.conv`).
  `axis_name`, when given, is handed to every module that has BatchNorm so its
  batch statistics are computed over the whole global batch (synchronised
  BatchNorm), which keeps a data-parallel run equal to a single-device run.
  """
  data_shape = tuple(int(d) for d in data_shape)
  data_fields: dict[str, Any] = {"output_shape": data_shape, "num_classes": num_classes,
                                 **conv_factories(model_config.get("conv_lowering", "auto"))}
  if len(data_shape) == 3:
    data_fields.update(image_size=data_shape[0], channels=data_shape[2])
  if axis_name is not None:
    data_fields["axis_name"] = axis_name
  generator = _build("generator", model_config["generator"], data_fields)
  critic = _build("critic", model_config["critic"], data_fields)
  return generator, critic


__all__ = [
    "CRITICS", "GENERATORS", "DCGANCritic", "DCGANGenerator", "GPDCGANCritic", "GPDCGANGenerator",
    "LanguageCritic", "LanguageGenerator", "MLPCritic", "MLPGenerator", "ResNetCritic",
    "ResNetGenerator", "SNGANCritic", "SNGANGenerator", "create_models", "network_class", "toy_critic", "toy_generator",
]
