"""A design's structure as flat numbers: the features the dataset stores next to the
measured results and the learned correction reads."""

from __future__ import annotations

from .structure import Structure

#: structure features, in the order the learned correction reads them
STRUCTURE_FEATURES = ("adder_bits", "mux_bits", "gate_bits", "select_bits", "compare_bits", "reg_bits", "mult_count",
                      "mult_bits", "rom_bits", "rom_words", "ram_bits", "block_ram_bits", "dsp_adder_bits",
                      "const_product_bits", "dsp", "rom_clamp_bits")


def structure_features(s: Structure) -> dict[str, float]:
    return {
        "adder_bits": s.adder_bits,
        "mux_bits": s.mux_bits,
        "gate_bits": s.gate_bits,
        "select_bits": s.select_bits,
        "compare_bits": s.compare_bits,
        "reg_bits": s.reg_bits,
        "mult_count": sum(s.multipliers.values()),
        "mult_bits": sum(n * a * b for (a, b, _, _), n in s.multipliers.items()),
        "rom_bits": sum(n * m.width * m.depth for m, n in s.roms.items()),
        "rom_words": sum(n * m.depth for m, n in s.roms.items()),
        "ram_bits": sum(n * m.width * m.depth for m, n in s.rams.items() if not m.block),
        "block_ram_bits": sum(n * m.width * m.depth for m, n in s.rams.items() if m.block)
        + sum(n * m.width * m.depth for m, n in s.roms.items() if m.block),
        "dsp_adder_bits": s.dsp_adder_bits + sum(s.product_adder_bits.values()),
        "const_product_bits": sum(n * d * w for (_, d, w), n in s.const_products.items()),
        "dsp": float(s.dsp),
        "rom_clamp_bits": sum(n * m.width * m.clamp_bits for m, n in s.roms.items()),
    }
