"""Stand-in for the pip bootstrap script that ansible-test downloads from ci-files.testing.ansible.com.

That host cannot be reached from the lab machines (only PyPI can), so scripts/sanity.sh places this
file in ansible-test's cache. ansible-test runs it inside a virtualenv created without pip, with the
arguments of a `pip install`; we bootstrap pip from the interpreter's own ensurepip, then install
exactly what ansible-test asked for from PyPI.
"""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
# --no-setuptools / --no-wheel are get-pip's own options (ensurepip installs neither): drop them.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
