"""What is predicted: closed forms of the papers, one module per paper family (no JAX)."""
