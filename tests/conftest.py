"""Test settings shared by the whole suite.

Under CI (the ``CI`` variable is set) hypothesis runs derandomized: the same examples every run,
so a submission's check cannot pass or fail by the luck of the draw. Locally it explores freely.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
