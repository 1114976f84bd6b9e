"""Benchmarks of the pages people wait on, at a named data size (``make bench``; quality.md, "Benchmarks").

``python -m bench --size 100k`` fills a database of its own (never the developer's demo data nor
production), then times each case against a floor: the single plain SQL query a perfect
implementation would need for the same data, measured in the same run.
"""
