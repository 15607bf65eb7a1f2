"""The factorised family: tied linear autoencoders, CP tensor decompositions and spectral algorithms under gradient flow.

Golikov, Gusev & Yarotsky; Yarotsky, Golikov & Gusev; Velikanov, Panov & Yarotsky.

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.factorised.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {
    "autoencoder": Entry(
        "gflab.experiments.factorised.autoencoder",
        "Autoencoder",
        "tied linear autoencoder, isotropic population: the Riccati closed form, the Marchenko-Pastur loss, the half-way time",
        spec="AutoencoderSpec",
    ),
    "autoencoder-regimes": Entry(
        "gflab.experiments.factorised.autoencoder_regimes",
        "AutoencoderRegimes",
        "tied linear autoencoder beyond the isotropic population: finite samples, anisotropy, a regime map, the training floor",
        spec="AutoencoderRegimesSpec",
    ),
    "spectral-algorithms": Entry(
        "gflab.experiments.factorised.spectral_algorithms",
        "SpectralAlgorithms",
        "KRR and stopped gradient flow on power-law kernel regression: deterministic equivalents and rates in n",
        spec="SpectralAlgorithmsSpec",
    ),
    "cp-tensor": Entry(
        "gflab.experiments.factorised.cp_tensor",
        "CPTensor",
        "CP tensor decomposition: the lazy (NTK) regime against its linearisation, incremental learning from small init",
        spec="CPTensorSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
