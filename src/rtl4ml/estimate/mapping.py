"""A :class:`~.structure.Structure` in the cells of a device family: LUT, FF, DSP, BRAM.

First-order technology mapping, per family:
- AMD/Xilinx (LUT6 + CARRY4): an adder or comparator bit is a LUT on the carry chain, two
  2:1 multiplexer bits share a LUT6; a multiplier of up to 25x18 bits is one DSP48 (Yosys
  0.23 puts a folded layer's additions of the products a DSP48 holds into its post-adder,
  and about 60 % of those in a parallel layer's sum trees; a product under 9 bits or with
  a 1-bit operand stays in logic); a
  soft multiplier about a*b/2 LUTs; distributed RAM in the cheapest of RAM32M (32x6 in
  4 LUTs), RAM64M (64x3 in 4) and RAM128X1D (128x1 in 4), as Yosys maps a memory with one
  write and one read port; a logic ROM one LUT6 per 64 bits (a ROM whose words are known:
  counted from them, MUXF7/MUXF8 joining up to four LUT6s, see .rom_logic); block RAM in
  18 Kb units of 512x36 ... 16Kx1.
- ECP5 (LUT4 + CCU2C): ``lut`` counts LUT4 equivalents (a CCU2C carry cell is two, a
  16x4 LUT RAM four), as the place-and-route device choice does; 18x18 multipliers;
  DP16KD 18 Kb blocks.
- iCE40 (LUT4 + SB_CARRY): 16x16 SB_MAC16 multipliers (UltraPlus; a wider product in
  16x16 pieces, the pieces of fewer than 11 product bits in logic, as Yosys's mul2dsp
  splits them), no LUT RAM (registers instead), SB_RAM40_4K 4 Kb blocks of 256x16 ... 2Kx2
  (a ROM goes to them when they cost Yosys less: 1/16 per bit in logic, 66 per block);
  a ReLU's zero or a clamp's bound chosen straight before a register is the flip-flop's
  synchronous reset or set (SB_DFFESR, SB_DFFESS), no LUT.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from ..devices import Family
from .rom_logic import rom_luts
from .structure import Memory, Structure


@dataclass(frozen=True)
class Cost:
    lut: int
    ff: int
    dsp: int
    bram: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.lut + other.lut, self.ff + other.ff, self.dsp + other.dsp, self.bram + other.bram)


ZERO = Cost(0, 0, 0, 0)


@dataclass(frozen=True)
class FamilyCells:
    lut_inputs: int
    compare_per_lut: float  # comparator bits per LUT (xc7: two on the carry chain; a CCU2C: two bits, two LUT4s)
    mux_per_lut: float  # 2:1 multiplexer bits per LUT
    select_per_lut: float  # 2:1 stages of a folded layer's operand selection per LUT (SELECT_PER_LUT6, _LUT4)
    max_luts: float  # LUTs per bit of a max pool's compare-and-select (MAX_LUT6, _LUT4)
    const_compare_luts: float  # LUTs per bit of a comparison against a constant (CONST_COMPARE_LUT6, _LUT4)
    dsp_a: int  # multiplier operand widths one DSP block takes
    dsp_b: int
    dsp_adder_share: float  # of the additions right after a DSP product in a parallel layer's sum trees, the
    # share synthesis puts in the block
    dsp_chains_sums: bool  # a sum of products added one after another puts each addition of a DSP product in
    # that block (Yosys xilinx_dsp: the DSP48's post-adder, the running sum its C or cascade input)
    carry_save_luts: float  # LUTs per full-adder bit of a one-cycle sum of many products (Yosys maccmap)
    increment_luts: float  # LUTs per bit of a rounding's increment (AMD/Xilinx: the carry chain alone, its
    # LUTs free to compute a gate on the operand; LUT4 families: a CCU2C's or SB_CARRY's LUT)
    rom_logic_cost: float  # synthesis's cost of a ROM bit in logic, against a block RAM's (0: never block RAM)
    block_cost: float  # (Yosys memory_libmap: 1/64 and 131 on AMD/Xilinx, 1/16 and 130 on ECP5, 1/16 and 66 on iCE40)
    dsp_min_product_bits: int  # narrower products (after narrowing to their ranges) stay in logic
    dsp_min_piece_bits: int  # of a product split over several DSPs, the pieces with fewer product bits (or a
    # 1-bit operand) stay in logic (Yosys mul2dsp's DSP_Y_MINWIDTH and DSP_A/B_MINWIDTH, applied per piece; 0:
    # every piece takes a DSP)
    dsp_signed_only: bool  # the DSP multiplies signed operands only
    dsp_holds_product_register: bool  # synthesis moves a product's register into the DSP block
    reset_under_enable: bool  # the flip-flop has a synchronous set/reset that obeys the clock enable (iCE40
    # SB_DFFESR, SB_DFFESS): an enabled register's choice of a constant (Structure.reset_bits) costs no LUT.
    # Measured on a lone ReLU of 40 output bits: 2 LUT4s on iCE40, 41 LUTs on xc7 and on ECP5
    carry_inverts: bool  # the carry chain can subtract a value as it is: the LUT in front of an xc7 CARRY4 or
    # in an ECP5 CCU2C inverts it; iCE40's SB_CARRY reads its operands straight from the nets, so each bit of a
    # subtracted value takes an inverter LUT (Structure.subtracted_bits). Measured on a lone 9-bit
    # subtraction: 17 LUT4s on iCE40 against 9 for the sum; 8 LUTs on xc7 and 5 CCU2Cs on ECP5 for either
    bram_shapes: tuple[tuple[int, int], ...]  # (depth, width) configurations of one block
    lutram_shapes: tuple[tuple[int, int, int], ...]  # (depth, width, LUTs) of the LUT RAM cells (none: registers)
    free_mux_levels: int = 0  # levels of wide-function multiplexers above the LUTs that are no LUTs (MUXF7, MUXF8)
    # a logic ROM of at least as many address bits as a LUT has inputs, whose words are added in the cycle of its
    # read (a softmax's exponentials): abc spreads its upper multiplexer levels into the adder's LUTs, about one
    # LUT per word bit for each address bit from lut_inputs - 2 up. On xc7, the dataset's 45 softmaxes, 2 such
    # reads of 64 words: 114 LUTs against 36 for the ROMs alone; none for 16 or 32 words (fitted: xc7 only)
    summed_rom_spreads: bool = False


#: The LUT4 families' constants below were fitted on the training split of the estimator
#: dataset (every design but each fifth seed) as Yosys maps ECP5 without wide functions
#: (``synth_ecp5 -nowidelut``, see rtl4ml.tools.synth); iCE40 has no wide functions
#: either and takes the same values but two (``_ICE40``), fitted on the training split
#: of the dataset's first 150 designs, the ones measured on iCE40.

#: LUT4s per full-adder bit of a carry-save tree as Yosys maps it on LUT4 families (a full
#: adder's sum and carry share inputs, so abc packs fewer than two LUT4s per bit)
CARRY_SAVE_LUT4 = 1.5

#: 2:1 stages per LUT of a folded layer's operand selection, a case statement on the cycle
#: counter that Yosys builds as a parallel multiplexer ($pmux): a balanced tree would take
#: 3 per LUT6 and 1 per LUT4; the values that fit the training split's folded layers best
#: (LUT sMAPE over the whole split) are 1.4 (LUT6) and 1.0 (LUT4)
SELECT_PER_LUT6 = 1.4
SELECT_PER_LUT4 = 1.0

#: LUTs per bit of a max pool's compare-and-select of two values: a comparator on the carry
#: chain and a multiplexer would take 1 + 1 (LUT6; LUT4 with a CCU2C's two bits: 1 + 1),
#: which is what the training split's max pools measure: 2.0 LUT6 and 2.0 LUT4 equivalents
MAX_LUT6 = 2.0
MAX_LUT4 = 2.0

#: LUTs per input bit of a comparison against a constant (a clip's bounds, a table index's
#: clamp): abc folds it into a few LUT6s (the constant's runs of equal bits), while on ECP5
#: it takes a carry chain (a CCU2C per two bits) and a little more; measured on the
#: training split's clips
CONST_COMPARE_LUT6 = 0.2
CONST_COMPARE_LUT4 = 1.2
CONST_COMPARE_ICE40 = 0.8

#: iCE40's carry-save trees: 1 LUT4 per full-adder bit (ECP5: CARRY_SAVE_LUT4)
CARRY_SAVE_ICE40 = 1.0

_BLOCK_18K = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))

CELLS = {
    Family.XILINX: FamilyCells(
        lut_inputs=6, compare_per_lut=2, mux_per_lut=2, select_per_lut=SELECT_PER_LUT6, max_luts=MAX_LUT6,
        const_compare_luts=CONST_COMPARE_LUT6, dsp_a=25, dsp_b=18, dsp_adder_share=0.6, dsp_chains_sums=True,
        carry_save_luts=0.0, increment_luts=0.0,
        rom_logic_cost=1 / 64, block_cost=131, dsp_min_product_bits=9, dsp_min_piece_bits=0, dsp_signed_only=True,
        dsp_holds_product_register=True, reset_under_enable=False, carry_inverts=True, bram_shapes=_BLOCK_18K,
        lutram_shapes=((32, 6, 4), (64, 3, 4), (128, 1, 4)), free_mux_levels=2, summed_rom_spreads=True),
    Family.ECP5: FamilyCells(
        lut_inputs=4, compare_per_lut=1, mux_per_lut=1, select_per_lut=SELECT_PER_LUT4, max_luts=MAX_LUT4,
        const_compare_luts=CONST_COMPARE_LUT4, dsp_a=18, dsp_b=18, dsp_adder_share=0.0, dsp_chains_sums=False,
        carry_save_luts=CARRY_SAVE_LUT4, increment_luts=1.0,
        rom_logic_cost=1 / 16, block_cost=130, dsp_min_product_bits=0, dsp_min_piece_bits=0, dsp_signed_only=False,
        dsp_holds_product_register=False, reset_under_enable=False, carry_inverts=True, bram_shapes=_BLOCK_18K,
        lutram_shapes=((16, 4, 4),)),
    Family.ICE40: FamilyCells(
        lut_inputs=4, compare_per_lut=1, mux_per_lut=1, select_per_lut=SELECT_PER_LUT4, max_luts=MAX_LUT4,
        const_compare_luts=CONST_COMPARE_ICE40, dsp_a=16, dsp_b=16, dsp_adder_share=0.0, dsp_chains_sums=False,
        carry_save_luts=CARRY_SAVE_ICE40, increment_luts=1.0,
        rom_logic_cost=1 / 16, block_cost=66, dsp_min_product_bits=11, dsp_min_piece_bits=11, dsp_signed_only=False,
        dsp_holds_product_register=False, reset_under_enable=True, carry_inverts=False,
        bram_shapes=((256, 16), (512, 8), (1024, 4), (2048, 2)), lutram_shapes=()),
}


def blocks(mem: Memory, shapes: tuple[tuple[int, int], ...]) -> int:
    """Block RAMs holding ``mem`` in the best of the block's aspect ratios."""
    return min(ceil(mem.width / w) * ceil(mem.depth / d) for d, w in shapes)


def maps_to_dsp(multiplier: tuple[int, int, int, bool], cells: FamilyCells) -> bool:
    """Whether synthesis maps a multiplier (a bits, b bits, product bits, signed) to DSP
    blocks: its product wide enough, neither operand a single bit (Yosys mul2dsp's
    DSP_Y_MINWIDTH and DSP_A/B_MINWIDTH)."""
    a, b, y, _ = multiplier
    return y >= cells.dsp_min_product_bits and min(a, b) >= 2


def _dsps(a: int, b: int, signed: bool, cells: FamilyCells) -> int:
    if not signed and cells.dsp_signed_only:  # an unsigned operand needs one more bit
        a, b = a + 1, b + 1
    big, small = max(a, b), min(a, b)
    min_bits = cells.dsp_min_piece_bits
    return sum(not min_bits or (pa + pb >= min_bits and min(pa, pb) >= 2)  # a 1-bit operand: an AND, in logic
               for pa in _pieces(big, cells.dsp_a) for pb in _pieces(small, cells.dsp_b))


def _pieces(bits: int, width: int) -> list[int]:
    """The operand widths a multiplier's operand of ``bits`` is split into for DSPs of ``width``."""
    return [width] * (bits // width) + ([bits % width] if bits % width else [])


def _rom_luts(mem: Memory, cells: FamilyCells) -> int:
    if mem.depth <= 2:
        return 0  # each bit is a constant, the address bit or its inverse
    words_per_lut = 1 << cells.lut_inputs
    leaves = ceil(mem.depth / words_per_lut)
    # LUTs plus the mux tree above them, its lowest free_mux_levels levels no LUTs (MUXF7/F8)
    per_bit = leaves + max(ceil(leaves / (1 << cells.free_mux_levels)) - 1, 0)
    # a shallow ROM's bits are functions of few address bits: equal ones are one LUT
    distinct = (1 << mem.depth) if mem.depth < 16 else mem.width
    return min(mem.width, distinct) * per_bit


def _rom_in_block(rom: Memory, cells: FamilyCells) -> bool:
    """Whether synthesis puts a ROM into block RAM: when the blocks cost less than its
    bits in logic, as Yosys weighs them; never one read asynchronously."""
    seen = rom.seen
    return bool(cells.rom_logic_cost) and (rom.address_reg > 0 or not rom.read_in_cycle) and \
        blocks(seen, cells.bram_shapes) * cells.block_cost < seen.depth * seen.width * cells.rom_logic_cost


def cost(s: Structure, family: Family, has_dsp: bool = True) -> Cost:
    cells = CELLS[family]
    gates = s.gate_bits + s.adder_gate_bits + ceil(s.increment_bits * cells.increment_luts)
    lut = s.adder_bits + gates + ceil(s.compare_bits / cells.compare_per_lut) \
        + ceil(s.reduce_bits / (cells.lut_inputs - 1)) + ceil(s.max_bits * cells.max_luts) \
        + ceil(s.const_compare_bits * cells.const_compare_luts) \
        + ceil(s.mux_bits / cells.mux_per_lut) + ceil(s.select_bits / cells.select_per_lut)
    lut += s.stall_enables * (1 + cells.reset_under_enable)
    if cells.reset_under_enable:
        lut -= s.reset_bits  # a LUT4 family's gate or 2:1 multiplexer bit: one LUT each
    if not cells.carry_inverts:
        lut += s.subtracted_bits
    ff, dsp, bram = s.reg_bits, 0, 0
    for (x_bits, digits, width), n in s.const_products.items():
        # a narrow input: each product bit is one LUT of the input bits; else shifts and adds
        if x_bits <= cells.lut_inputs + 2:  # LUTs of the input bits (with muxes above 4/6 inputs)
            lut += n * width * (1 << max(x_bits - cells.lut_inputs, 0))
        else:
            lut += n * max(digits - 1, 0) * width  # one carry-chain adder fewer than its digits
    in_dsp = s.dsp and has_dsp
    if not (in_dsp and cells.dsp_holds_product_register):
        ff += s.dsp_side_regs
    for key, n in s.product_regs.items():
        if not (in_dsp and maps_to_dsp(key, cells) and cells.dsp_holds_product_register):
            ff += n * key[2]
    for (a, b, y, signed), n in s.multipliers.items():
        if in_dsp and maps_to_dsp((a, b, y, signed), cells):
            dsp += n * _dsps(a, b, signed, cells)
        elif min(a, b) == 1:  # a one-bit operand: a gate (or a negation) per product bit
            lut += n * y
        else:
            lut += n * ceil(a * b * (0.5 if cells.lut_inputs == 6 else 1.0))
    lut += s.dsp_adder_bits * (1.0 - cells.dsp_adder_share if in_dsp else 1.0)
    def chained(key) -> bool:  # a folded sum's addition of this product is in its DSP block's adder
        return cells.dsp_chains_sums and in_dsp and key is not None and maps_to_dsp(key, cells)

    # after a shift, a gated product or a product in logic: an adder in logic
    lut += sum(bits for key, bits in s.product_adder_bits.items() if not chained(key))
    # the choice of bias or running sum before a chained first product: the block's operand, a LUT per bit
    lut += sum(bits for key, bits in s.base_select_bits.items() if chained(key))
    lut += s.carry_save_bits * cells.carry_save_luts
    for rom, n in s.roms.items():
        if rom.block or _rom_in_block(rom, cells):
            bram += n * blocks(rom.seen, cells.bram_shapes)
            lut += n * rom.address_luts
            if rom.read_in_cycle:  # the block takes the address register, the output one stays
                ff += n * ((rom.width if rom.out_reg else 0) - rom.address_reg)
        else:
            lut += n * (rom_luts(rom.contents, cells.lut_inputs, cells.free_mux_levels) if rom.contents
                        else _rom_luts(rom, cells))
            address = (rom.depth - 1).bit_length()
            if rom.summed_in_cycle and cells.summed_rom_spreads and address >= cells.lut_inputs:
                lut += n * rom.width * (address - cells.lut_inputs + 2)
            ff += (n * rom.width) if rom.out_reg else 0
    for ram, n in s.rams.items():
        if ram.block:
            bram += n * blocks(ram, cells.bram_shapes)
        elif cells.lutram_shapes and ram.depth > 2:
            lut += n * min(ceil(ram.depth / d) * ceil(ram.width / w) * luts for d, w, luts in cells.lutram_shapes)
        else:
            ff += n * ram.width * ram.depth
            lut += n * ram.width * max(ram.depth - 1, 0)  # the read multiplexer
    return Cost(int(lut), int(ff), int(dsp), int(bram))
