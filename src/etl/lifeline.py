"""Child processes end with the run that started them, even when it is killed with SIGKILL.

``etl run`` starts processes it does not control directly: Prefect's temporary API server, the
fork server of the parse pool and its workers, converters.  Parse workers watch their parent
themselves; for the rest, :func:`guard` puts a token in the environment (which every descendant
inherits) and starts a tiny guardian process.  The guardian waits on the run's process (a pidfd:
woken the instant it exits, however it exits) and then kills every process that still carries the
token.  A clean exit finds nothing left; a killed run leaves nothing running.

    python -m etl.lifeline <pid> <token>      (started by guard(); not for people)
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import uuid

TOKEN_VAR = "ETL_RUN_TOKEN"


def guard() -> str:
    """Mark this process's future children and start their guardian.  Returns the token."""
    token = os.environ.get(TOKEN_VAR)
    if token:                      # already guarded (a flow inside `etl run`)
        return token
    token = uuid.uuid4().hex
    os.environ[TOKEN_VAR] = token
    env = {k: v for k, v in os.environ.items() if k != TOKEN_VAR}    # the guardian spares itself
    subprocess.Popen([sys.executable, "-m", "etl.lifeline", str(os.getpid()), token],
                     env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    return token


def carriers(token: str) -> list[int]:
    """PIDs of the processes whose environment holds the token."""
    needle = f"{TOKEN_VAR}={token}".encode()
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    out.append(int(name))
        except OSError:
            continue
    return out


def reap(token: str, rounds: int = 5) -> int:
    """Kill every process carrying the token (again, for ones started while killing)."""
    killed = 0
    for _ in range(rounds):
        pids = carriers(token)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return killed


def _wait_for_exit(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):           # old kernel: poll
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def main(argv: list[str]) -> int:
    pid, token = int(argv[0]), argv[1]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _wait_for_exit(pid)
    reap(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
