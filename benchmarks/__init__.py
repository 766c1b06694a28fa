"""Speed and memory benchmarks of glassgrad against micrograd and hand-derived float code.

Run them with ``make bench`` or ``python -m benchmarks [--quick]``; see benchmarks/README.md.
"""
