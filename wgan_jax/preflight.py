"""`python -m wgan_jax.preflight`: Compile the train step for a TPU slice or GPUs that are not attached (`wgan_jax.commands.preflight`; --help)."""

if __name__ == "__main__":
  from wgan_jax.commands import preflight

  preflight.run()
