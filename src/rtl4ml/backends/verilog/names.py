"""Valid, unique Verilog identifiers from user-chosen layer and model names."""

from __future__ import annotations

import re

# Verilog-2005 and SystemVerilog-2017 keywords: a generated name never equals one
KEYWORDS = frozenset(
    ["accept_on", "alias", "always", "always_comb", "always_ff", "always_latch", "and", "assert", "assign", "assume", "automatic", "before", "begin", "bind", "bins", "binsof", "bit", "break", "buf", "bufif0", "bufif1", "byte", "case", "casex", "casez", "cell", "chandle", "checker", "class", "clocking", "cmos", "config", "const", "constraint", "context", "continue", "cover", "covergroup", "coverpoint", "cross", "deassign", "default", "defparam", "design", "disable", "dist", "do", "edge", "else", "end", "endcase", "endchecker", "endclass", "endclocking", "endconfig", "endfunction", "endgenerate", "endgroup", "endinterface", "endmodule", "endpackage", "endprimitive", "endprogram", "endproperty", "endspecify", "endsequence", "endtable", "endtask", "enum", "event", "eventually", "expect", "export", "extends", "extern", "final", "first_match", "for", "force", "foreach", "forever", "fork", "forkjoin", "function", "generate", "genvar", "global", "highz0", "highz1", "if", "iff", "ifnone", "ignore_bins", "illegal_bins", "implements", "implies", "import", "incdir", "include", "initial", "inout", "input", "inside", "instance", "int", "integer", "interconnect", "interface", "intersect", "join", "join_any", "join_none", "large", "let", "liblist", "library", "local", "localparam", "logic", "longint", "macromodule", "matches", "medium", "modport", "module", "nand", "negedge", "nettype", "new", "nexttime", "nmos", "nor", "noshowcancelled", "not", "notif0", "notif1", "null", "or", "output", "package", "packed", "parameter", "pmos", "posedge", "primitive", "priority", "program", "property", "protected", "pull0", "pull1", "pulldown", "pullup", "pulsestyle_ondetect", "pulsestyle_onevent", "pure", "rand", "randc", "randcase", "randsequence", "rcmos", "real", "realtime", "ref", "reg", "reject_on", "release", "repeat", "restrict", "return", "rnmos", "rpmos", "rtran", "rtranif0", "rtranif1", "s_always", "s_eventually", "s_nexttime", "s_until", "s_until_with", "scalared", "sequence", "shortint", "shortreal", "showcancelled", "signed", "small", "soft", "solve", "specify", "specparam", "static", "string", "strong", "strong0", "strong1", "struct", "super", "supply0", "supply1", "sync_accept_on", "sync_reject_on", "table", "tagged", "task", "this", "throughout", "time", "timeprecision", "timeunit", "tran", "tranif0", "tranif1", "tri", "tri0", "tri1", "triand", "trior", "trireg", "type", "typedef", "union", "unique", "unique0", "unsigned", "until", "until_with", "untyped", "use", "uwire", "var", "vectored", "virtual", "void", "wait", "wait_order", "wand", "weak", "weak0", "weak1", "while", "wildcard", "wire", "with", "within", "wor", "xnor", "xor"]
)
MAX_LENGTH = 64


def sanitize(name: str, fallback: str = "n") -> str:
    """A valid Verilog identifier resembling ``name``: letters, digits and ``_`` only,
    not starting with a digit or ``_``, never a keyword, at most 64 characters."""
    s = re.sub(r"[^A-Za-z0-9_]+", "_", str(name)).strip("_")
    s = re.sub(r"__+", "_", s)
    if not s:
        s = fallback
    if s[0].isdigit():
        s = f"{fallback}_{s}"
    s = s[:MAX_LENGTH].rstrip("_")
    if s.lower() in KEYWORDS:
        s = f"{s}_"
    return s


class Namer:
    """Hands out unique identifiers: ``take("dense 1")`` -> ``dense_1``, and a second
    name that sanitizes to the same text gets ``_2``, ``_3``... (case-insensitively
    unique, so tools on case-insensitive file systems never see two equal names)."""

    def __init__(self, reserved=()):
        self._taken: set[str] = {r.lower() for r in reserved}

    def take(self, name: str, fallback: str = "n") -> str:
        base = sanitize(name, fallback)
        candidate, k = base, 2
        while candidate.lower() in self._taken or candidate.lower() in KEYWORDS:
            suffix = f"_{k}"
            candidate = base[: MAX_LENGTH - len(suffix)] + suffix
            k += 1
        self._taken.add(candidate.lower())
        return candidate
