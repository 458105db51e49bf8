"""The command line (click). Nothing in the package imports it.

Importing it raises the garbage collector's first threshold for the process: a command's
start-up (its imports, the cached registry) creates tens of thousands of objects that live as
long as the process, and no garbage cycles. At the default threshold (a collection every 700
new objects) the collector ran 79 times in ``lineage cost llama-3.2-1b`` and freed 475
objects; at 100,000 it runs a few times. Cycles are still collected, at most 100,000 objects
later (README, "Development": the start-up figures).
"""

import gc

gc.set_threshold(100_000, *gc.get_threshold()[1:])
