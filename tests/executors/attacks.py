"""Exhaustion attacks a job might try, shared by the executor and the agent tests."""

from __future__ import annotations

FORK_BOMB = """
import os, time
for _ in range(300):
    if os.fork() == 0:
        time.sleep(20)
        os._exit(0)
print("forked 300")
"""

# The same, but it stays: a polling watcher (no cgroups) may miss a burst that is over at once
# (the sandbox's pid namespace dies with the job anyway), never one that lives on.
LINGERING_FORK_BOMB = FORK_BOMB + "time.sleep(15)\n"


def memory_hog(mb_each: int) -> str:
    """Four processes of `mb_each` MB, each one on its own under a limit their sum is over."""
    return f"""
import os, time
for _ in range(3):
    if os.fork() == 0:
        break
block = bytearray({mb_each} * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
time.sleep(5)
print("holding {4 * mb_each} MB")
"""


# 640 MiB in files of 10 MiB, each under the per-file cap.
DISK_FILLER = """
for i in range(64):
    with open(f"fill-{i}", "wb") as f:
        f.write(b"x" * (10 * 1024 * 1024))
print("wrote 640 MiB")
"""
