"""A throwaway single-node SLURM cluster for the tests: Debian's ``slurm-wlm`` and
``munge`` daemons, started in the foreground from a private folder and stopped by PID.

Nothing outside the folder is touched: munge runs on its own socket and key, slurm
reads its own ``slurm.conf`` on ports chosen free, and the client commands (``sbatch``,
``srun``, ``squeue``, ...) are reached through wrappers first on ``PATH`` that set
``SLURM_CONF``. The wrappers matter: the Snakemake SLURM plugin removes every
``SLURM_*`` variable inside a batch job, so ``srun`` there would otherwise look for
``/etc/slurm/slurm.conf``.

Settings that keep a one-node cluster from hanging: no accounting (so status comes
from ``squeue``, and finished jobs stay visible for ``MinJobAge`` seconds),
``EnforcePartLimits=ALL`` (a job asking for more than the node has is refused, not
left pending forever), ``batch_sched_delay=0``, and a ``RealMemory`` no larger than
the memory free.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "squeue", "scancel", "sinfo", "scontrol", "sacct")
MIN_JOB_AGE = 300  # seconds a finished job stays visible to squeue


class ClusterUnavailable(RuntimeError):
    """The daemons are not installed here, or did not start."""


@dataclass
class Cluster:
    """A running cluster: its folder, the environment its clients need, its daemons."""

    folder: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def run(self, *command: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run a client command against this cluster."""
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def logs(self) -> str:
        """The daemons' logs, for a failure message."""
        texts = []
        for path in sorted((self.folder / "log").glob("*.log")):
            texts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(texts)

    def stop(self) -> None:
        """Stop every daemon started here, by PID: SIGTERM, then SIGKILL after 10 s."""
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def missing_programs() -> list[str]:
    """The daemons and clients not installed here."""
    return [name for name in (*DAEMONS, *CLIENTS[:-1]) if _which(name) is None]


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _free_memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemFree:"):
            return int(line.split()[1]) // 1024
    raise ClusterUnavailable("cannot read the free memory from /proc/meminfo")


def slurm_conf(folder: Path, cpus: int, memory_mb: int) -> str:
    """The cluster's ``slurm.conf``: one node, ``localhost``, one partition."""
    ctld_port, slurmd_port = _free_ports(2)
    user = os.environ.get("USER") or "root"
    return "\n".join(
        [
            "ClusterName=rlstrial",
            "SlurmctldHost=localhost",
            f"SlurmctldPort={ctld_port}",
            f"SlurmdPort={slurmd_port}",
            f"SlurmUser={user}",
            f"SlurmdUser={user}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={folder / 'munge' / 'munge.socket'}",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "SchedulerParameters=batch_sched_delay=0",
            "EnforcePartLimits=ALL",
            f"MinJobAge={MIN_JOB_AGE}",
            "MailProg=/bin/true",
            "ReturnToService=2",
            "SlurmdTimeout=60",
            f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb}"
            " State=UNKNOWN",
            "PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


def _write_wrappers(folder: Path, conf: Path) -> Path:
    """Client commands that find this cluster's ``slurm.conf`` wherever they run."""
    bin_folder = folder / "bin"
    bin_folder.mkdir()
    for name in CLIENTS:
        program = _which(name)
        if program is None:
            continue
        wrapper = bin_folder / name
        wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{conf}" exec {program} "$@"\n')
        wrapper.chmod(0o755)
    return bin_folder


def _start(cluster: Cluster, name: str, command: list[str]) -> None:
    log = open(cluster.folder / "log" / f"{name}.out", "w")  # noqa: SIM115 (kept by Popen)
    cluster.processes[name] = subprocess.Popen(
        command, env=cluster.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_for(check, what: str, cluster: Cluster, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise ClusterUnavailable(f"{name} stopped while waiting for {what}")
        if check():
            return
        time.sleep(0.2)
    raise ClusterUnavailable(f"timed out after {timeout} s waiting for {what}")


def start_cluster(folder: Path, cpus: int = 2, memory_mb: int = 4096) -> Cluster:
    """Start munge, slurmctld and slurmd in ``folder``; return once the node is idle.

    Raises :class:`ClusterUnavailable` (after stopping whatever started) when a program
    is missing, the user cannot run the daemons, or they do not come up in 30 s.
    """
    missing = missing_programs()
    if missing:
        raise ClusterUnavailable(f"not installed: {', '.join(missing)}")
    if os.geteuid() != 0:
        raise ClusterUnavailable("the SLURM daemons of this test must run as root")
    folder = Path(folder)
    for sub in ("munge", "state", "spool", "log"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "munge").chmod(0o700)
    key = folder / "munge" / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    key.chmod(0o400)
    conf = folder / "slurm.conf"
    conf.write_text(slurm_conf(folder, cpus, min(memory_mb, _free_memory_mb())))
    bin_folder = _write_wrappers(folder, conf)
    env = {**os.environ, "SLURM_CONF": str(conf)}
    env["PATH"] = f"{bin_folder}:{env.get('PATH', '')}"
    cluster = Cluster(folder=folder, env=env)
    munge = folder / "munge"
    try:
        _start(cluster, "munged", [_which("munged"), "--foreground", "--force",
               f"--socket={munge / 'munge.socket'}", f"--key-file={key}",
               f"--pid-file={munge / 'munged.pid'}", f"--seed-file={munge / 'munged.seed'}",
               f"--log-file={folder / 'log' / 'munged.log'}"])  # fmt: skip
        _wait_for((munge / "munge.socket").exists, "the munge socket", cluster)
        _start(cluster, "slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(conf)])
        _wait_for(lambda: cluster.run("sinfo", "-h").returncode == 0, "slurmctld", cluster)
        _start(cluster, "slurmd", [_which("slurmd"), "-D", "-N", "localhost", "-f", str(conf)])
        _wait_for(lambda: _node_state(cluster) == "idle", "an idle node", cluster)
    except (ClusterUnavailable, OSError, subprocess.TimeoutExpired) as error:
        logs = cluster.logs()
        cluster.stop()
        raise ClusterUnavailable(f"{error}\n{logs}") from error
    return cluster


def _node_state(cluster: Cluster) -> str:
    return cluster.run("sinfo", "-h", "-N", "-o", "%T").stdout.strip()
