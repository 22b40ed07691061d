# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/etc/ssh/moduli``: keep only the Diffie-Hellman groups of a minimum size (pure)."""

from __future__ import annotations

__metaclass__ = type


def filter_moduli(text, min_bits):
    """Drop Diffie-Hellman groups smaller than ``min_bits`` from /etc/ssh/moduli text.

    The fifth field of a moduli line is the size in bits minus one (3071 for a 3072-bit group).
    Returns ``(new_text, kept, removed)``; comments and blank lines are kept.
    """
    out = []
    kept = 0
    removed = 0
    for line in text.splitlines(True):
        fields = line.split()
        if len(fields) >= 7 and not line.lstrip().startswith("#"):
            try:
                size = int(fields[4]) + 1
            except ValueError:
                out.append(line)
                continue
            if size < min_bits:
                removed += 1
                continue
            kept += 1
        out.append(line)
    return "".join(out), kept, removed
