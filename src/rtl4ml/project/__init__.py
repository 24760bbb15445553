"""Hardware projects: the build folder, its verification and synthesis."""

from .folder import DEFAULT_SAMPLES, build_tree
from .synth import SynthReport, synthesize_folder
from .verify import VerifyReport, verify

__all__ = ["DEFAULT_SAMPLES", "SynthReport", "VerifyReport", "build_tree", "synthesize_folder", "verify"]
