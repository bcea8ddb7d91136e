"""Input data: sources and the tf.data pipeline (TensorFlow, CPU only) and toy sets (NumPy only)."""
