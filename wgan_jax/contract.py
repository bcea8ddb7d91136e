"""What the train step requires of the models, the real batches and the state.

- `generator(z, labels, train)` returns examples `[B, ...]` and has `latent_dim`, the size of z;
- `critic(x, labels, train)` returns scores `[B]`, or `(scores [B], class logits [B, K])`;
- real batches are `[n_critic, B, ...]` (`{'x': ..., 'label': [n_critic, B]}` with labels),
  each example shaped like the generator's (integer examples are token ids whose one-hot is);
- the state is `init_state`'s for the same networks and optimizers.

Each check runs in Python while JAX traces the step, so it costs nothing when the compiled step
runs; a violation raises `StepContractError` naming the expected and the actual shape or
signature, where it would otherwise fail deep inside the step or train on the wrong data.
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import optax


class StepContractError(ValueError):
  """A model, batch or state does not fit the train step; the message says which and how."""


def check_signature(model: Any, role: str) -> None:
  """`model` is called as `model(input, labels, train=...)`."""
  name = "z" if role == "generator" else "x"
  try:
    signature = inspect.signature(model.__call__)
  except (TypeError, ValueError):  # a callable Python cannot describe: trust it
    return
  try:
    signature.bind(None, None, train=True)
  except TypeError:
    raise StepContractError(
        f"The step calls the {role} as {role}({name}, labels, train=...), but "
        f"{type(model).__name__}.__call__{signature} does not take them: add `labels=None` and "
        f"`train: bool = True` (unused ones may be ignored).") from None


def check_models(generator: Any, critic: Any) -> None:
  """Both networks' call signatures, and the generator's `latent_dim`."""
  check_signature(generator, "generator")
  check_signature(critic, "critic")
  latent_dim = getattr(generator, "latent_dim", None)
  if not isinstance(latent_dim, int) or latent_dim < 1:
    raise StepContractError(
        f"The generator must have `latent_dim`, the size of its noise input z (a positive int "
        f"attribute); {type(generator).__name__} has {latent_dim!r}.")


def check_scores(scores: jax.Array, batch: int) -> None:
  """One score per example: `[batch]`."""
  if scores.shape != (batch,):
    raise StepContractError(
        f"The critic returned scores of shape {tuple(scores.shape)} for a batch of {batch}; it "
        f"must return one score per example, shape ({batch},): drop the last axis (e.g. "
        f"`return jnp.squeeze(x, -1)`).")


def _layout(example: Sequence[int]) -> str:
  return "[n_critic, batch, " + ", ".join(str(d) for d in example) + "]"


def check_real_batches(x: jax.Array, labels: jax.Array | None,
                       critic_iterations: Sequence[int] | None) -> None:
  """The stacked real batches' axes: `[n_critic, batch, ...]`, n_critic one the step is built
  for (`critic_iterations`; None: any), labels `[n_critic, batch]`."""
  if x.ndim < 2:
    raise StepContractError(
        f"real_batches of shape {tuple(x.shape)} lack the leading critic-iteration axis: the "
        f"step takes [n_critic, batch, ...].")
  if critic_iterations and x.shape[0] not in critic_iterations:
    counts = " or ".join(str(n) for n in critic_iterations)
    swapped = (" Were the first two axes swapped ([batch, n_critic, ...])?"
               if x.shape[1] in critic_iterations else "")
    raise StepContractError(
        f"real_batches of shape {tuple(x.shape)} carry {x.shape[0]} critic iterations on their "
        f"leading axis; this step is built for {counts}: the layout is "
        f"{_layout(x.shape[2:])}.{swapped}")
  if labels is not None and labels.shape != x.shape[:2]:
    raise StepContractError(
        f"Labels of shape {tuple(labels.shape)} do not match real batches of shape "
        f"{tuple(x.shape)}: one label per example, shape {tuple(x.shape[:2])}.")


def check_examples(real: jax.Array, fake: jax.Array) -> None:
  """One critic iteration's real examples are shaped like the generator's (integer examples:
  token ids, like the generator's one-hot outputs less their last axis)."""
  generated = tuple(fake.shape[1:])
  expected = generated[:-1] if jnp.issubdtype(real.dtype, jnp.integer) else generated
  if tuple(real.shape[1:]) != expected:
    kind = "token ids of" if jnp.issubdtype(real.dtype, jnp.integer) else "examples of"
    raise StepContractError(
        f"A critic iteration's real batch of shape {tuple(real.shape)} holds examples of shape "
        f"{tuple(real.shape[1:])}, where the generator makes examples of shape {generated}: "
        f"real_batches must be {_layout(expected)} (real {kind} shape {expected}). A missing "
        f"n_critic axis, images of another size or channel layout (NCHW for NHWC), or another "
        f"data set look like this.")


def _describe(tree: Any) -> str:
  """The optimizer state's component types, e.g. '(ScaleByAdamState, EmptyState)'."""
  if isinstance(tree, tuple) and not hasattr(tree, "_fields"):
    return "(" + ", ".join(_describe(t) for t in tree) + ")"
  return type(tree).__name__


def check_optimizer_state(tx: optax.GradientTransformation, params: Any, opt_state: Any,
                          role: str) -> None:
  """`opt_state` is what `tx.init(params)` makes: the state was initialised with `tx`."""
  expected = jax.eval_shape(tx.init, params)
  same = jax.tree_util.tree_structure(expected) == jax.tree_util.tree_structure(opt_state)
  if same:
    same = all(jnp.shape(a) == jnp.shape(b) for a, b in zip(
        jax.tree_util.tree_leaves(expected), jax.tree_util.tree_leaves(opt_state)))
  if not same:
    raise StepContractError(
        f"The state's {role} optimizer state {_describe(opt_state)} is not what the step's "
        f"{role} optimizer makes, {_describe(expected)}: initialise the state with the "
        f"optimizers the step is built with (`init_state(..., {role}_tx, ...)`).")
