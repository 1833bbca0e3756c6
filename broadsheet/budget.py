"""What the build's processes may spend at once: costly jobs take turns.

Parse workers run side by side, and each could meet a worst case in the same moment (a very
large article, a large image to decode). Such jobs take `HEAVY`, a lock shared by every
process forked from the one that imported this module, so a build holds one worst case at a
time whatever the number of cores. Reentrant: a large article's photo takes it again.
"""

from __future__ import annotations

import multiprocessing

HEAVY = multiprocessing.RLock()
