"""Resource figures of a process tree from /proc: CPU seconds and bytes read.

`tree_cpu(pid)` is user+system CPU of the process, its reaped children (already folded into the
process's cutime/cstime by the kernel) and its live descendants (a Spark worker's JVM, a CLI
child still running). `tree_rchar(pid)` is the same for `rchar` of /proc/<pid>/io: bytes the
tree read with read()/pread() -- files, pipes; not recv(), so not what HTTP clients receive. The
kernel folds a reaped child's I/O counters into its parent, like its CPU time.
`minio_counters(endpoint)` is MinIO's own count of bytes sent and GetObject requests served (its
v3 API metrics, public on the project's MinIO): the object-store side, the same for every engine
as long as one engine runs at a time.
"""
import os
import re
import urllib.request

_TICKS = os.sysconf("SC_CLK_TCK")


def _children() -> dict:
    """ppid -> [pid] for every live process."""
    by_parent = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        by_parent.setdefault(int(fields[1]), []).append(int(name))
    return by_parent


def descendants(pid: int) -> list:
    by_parent = _children()
    out, stack = [], [pid]
    while stack:
        for child in by_parent.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def _cpu_of(pid: int, with_reaped: bool) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(b")") + 2:].split()
    # fields[11..14] = utime, stime, cutime, cstime (stat fields 14-17)
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def _rchar_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu(pid: int = 0) -> float:
    pid = pid or os.getpid()
    return _cpu_of(pid, True) + sum(_cpu_of(p, True) for p in descendants(pid))


def tree_rchar(pid: int = 0) -> int:
    pid = pid or os.getpid()
    return _rchar_of(pid) + sum(_rchar_of(p) for p in descendants(pid))


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process, MB (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


_METRIC = re.compile(r'^(minio_api_requests_traffic_sent_bytes|minio_api_requests_total)'
                     r'\{([^}]*)\}\s+(\S+)')


def minio_counters(endpoint):
    """(bytes sent, GetObject requests) from MinIO's v3 API metrics; None when unavailable."""
    try:
        with urllib.request.urlopen(endpoint + "/minio/metrics/v3/api/requests", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None
    sent, gets = 0.0, 0.0
    for line in text.splitlines():
        m = _METRIC.match(line)
        if not m:
            continue
        if m.group(1) == "minio_api_requests_traffic_sent_bytes":
            sent += float(m.group(3))
        elif 'name="GetObject"' in m.group(2):
            gets += float(m.group(3))
    return sent, gets
