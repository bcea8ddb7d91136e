"""What follows the colon of `--config NAME:ARGS`: one form for every config.

    args = parse(arg, method="wgan-gp", dataset="lsun")      # in a config's get_config(arg)

ARGS is a comma-separated list of values in the order the config documents (`wgan-gp,mnist`),
of `key=value` pairs (`dataset=mnist,method=wgan`), or positional values then pairs; anything
left out keeps its default. Each value takes the type of its default. A training method has one
name in every config (`METHODS`); the names earlier versions used are refused with the new one.
"""

from __future__ import annotations

import types

from wgan_jax.errors import ConfigError

# Every training method a config may name, the same word everywhere.
METHODS = {
    "wgan": "Wasserstein loss, weight clipping, RMSProp (the WGAN paper)",
    "wgan-gp": "Wasserstein loss, two-sided gradient penalty, Adam (the WGAN-GP paper)",
    "wgan-gp-rmsprop": "the gradient penalty with RMSProp (WGAN-GP Fig. 3)",
    "wgan-gp-one-sided": "the one-sided penalty max(0, ||grad|| - 1)^2 (WGAN-GP Sec. 5)",
    "dcgan": "the standard non-saturating GAN with the DCGAN recipe (Adam 2e-4, 0.5; one "
             "discriminator update)",
    "gan": "the standard non-saturating GAN loss, the rest of the config's recipe unchanged",
    "minimax": "the original GAN's saturating generator loss log(1 - D(G(z)))",
    "lsgan": "least squares GAN",
    "hinge": "the hinge loss (SN-GAN, BigGAN)",
    "sngan": "spectral normalization with the hinge loss, SN-GAN's recipe (Adam 2e-4, 0.5, "
             "0.999; one critic update)",
    "r1": "the non-saturating GAN loss with the R1 penalty (gamma 10), RMSProp 1e-4, one critic "
          "update (Mescheder et al. 2018)",
    "feature_matching": "the semi-supervised GAN's feature-matching generator loss",
    "supervised": "the classifier alone on the labelled examples (no generator)",
}
_RENAMED = {"penalty_adam": "wgan-gp", "penalty": "wgan-gp", "penalty_rmsprop": "wgan-gp-rmsprop",
            "clip": "wgan"}


def parse(arg: str | None, **defaults) -> types.SimpleNamespace:
  """The arguments `arg` names, over `defaults` (whose order is the positional order)."""
  values = dict(defaults)
  parts = [part.strip() for part in (arg or "").split(",") if part.strip()]
  names = list(defaults)
  for position, part in enumerate(parts):
    key, equals, text = part.partition("=")
    if not equals:
      if position >= len(names) or any("=" in p for p in parts[:position]):
        raise ConfigError(f"config arguments {arg!r}: {part!r} is one value too many; they are "
                          f"{','.join(names)} (in this order, or as key=value).")
      key, text = names[position], part
    if key not in defaults:
      raise ConfigError(f"config arguments {arg!r}: unknown {key!r}; the arguments are "
                        f"{', '.join(names)}.")
    values[key] = _typed(key, text, defaults[key])
  return types.SimpleNamespace(**values)


def check_method(method: str, choices) -> str:
  """`method` if it is one of `choices` (names of `METHODS`); otherwise a ConfigError listing them
  (and the new name of a renamed one)."""
  if method in choices:
    return method
  hint = f" ({method!r} is now {_RENAMED[method]!r})" if _RENAMED.get(method) in choices else ""
  raise ConfigError(f"method {method!r} is not one of this config's: {', '.join(choices)}{hint}.")


def check_choice(name: str, value: str, choices) -> str:
  """`value` if it is one of `choices`; otherwise a ConfigError naming the argument."""
  if value not in choices:
    raise ConfigError(f"{name} {value!r}: choose one of {', '.join(sorted(choices))}.")
  return value


def _typed(key: str, text: str, default):
  if isinstance(default, bool):
    if text.lower() not in ("true", "false"):
      raise ConfigError(f"config argument {key}={text!r}: true or false.")
    return text.lower() == "true"
  if isinstance(default, int):
    try:
      return int(text)
    except ValueError:
      raise ConfigError(f"config argument {key}={text!r}: a whole number.") from None
  if isinstance(default, float):
    try:
      return float(text)
    except ValueError:
      raise ConfigError(f"config argument {key}={text!r}: a number.") from None
  return text
