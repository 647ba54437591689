"""The benchmarks (``make bench``): not part of the portal. A Django app installed only when ``PORTAL_BENCH=1``.

Its commands: ``bench`` (every figure in one run), ``bench_stats`` (the table
job against the raw ``GROUP BY``) and ``generate_cases`` (a synthetic case load);
``pages``, ``web`` and ``locustfile`` measure the pages and drive the web load.
"""
