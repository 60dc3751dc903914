"""A real Neo4j Community server without Docker: jars from Maven Central, started on loopback.

The jars (server, APOC core, Neo4j Browser) are resolved by ``tools/neo4j/pom.xml`` into
``tools/neo4j/lib/`` (:func:`ensure_lib` runs Maven once; ``$VARKG_NEO4J_LIB`` points elsewhere).
:class:`Neo4jServer` lays out a server home under ``data``::

    data/conf/neo4j.conf   generated: 127.0.0.1 only, HTTPS off, usage reports off, memory sizes
    data/data/             databases and transaction logs      data/logs/   neo4j.log, debug.log
    data/plugins/          APOC jars (copied from lib/)        data/import/ CSVs for LOAD CSV

sets the initial password from ``NEO4J_PASSWORD`` (never stored in code or config), starts
``org.neo4j.server.CommunityEntryPoint`` in a child JVM, waits until Bolt answers an authenticated
query, and stops it with SIGTERM (SIGKILL after a grace period). :meth:`Neo4jServer.admin_import`
runs the real ``neo4j-admin database import full`` (``org.neo4j.cli.AdminTool``) on the stopped server.

Example::

    with Neo4jServer(NeoServerConfig(data=Path("neo4j-data")), password=os.environ["NEO4J_PASSWORD"]) as srv:
        store = open_store(srv.uri)
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from varkg.errors import StoreUnavailable

#: The pinned line (see tools/neo4j/pom.xml for why 5.26 LTS).
NEO4J_VERSION = "5.26.19"
POM = Path(__file__).resolve().parents[2] / "tools" / "neo4j" / "pom.xml"
_MIN_PASSWORD = 8  # Neo4j's default dbms.security.auth_minimum_password_length
_JVM_FLAGS = (
    # what Neo4j's own launcher passes (server.jvm.additional in the default neo4j.conf)
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)


def lib_dir() -> Path:
    """Where the server jars are: ``$VARKG_NEO4J_LIB`` or ``tools/neo4j/lib`` beside the pom."""
    return Path(os.environ.get("VARKG_NEO4J_LIB") or POM.parent / "lib")


def lib_ready(lib: Path | None = None) -> bool:
    lib = lib or lib_dir()
    return (lib / f"neo4j-server-{NEO4J_VERSION}.jar").is_file() and (lib / f"apoc-core-{NEO4J_VERSION}.jar").is_file()


def ensure_lib(*, quiet: bool = True) -> Path:
    """Resolve the server jars from Maven Central into :func:`lib_dir` (once; ~130 MiB)."""
    lib = lib_dir()
    if lib_ready(lib):
        return lib
    mvn = shutil.which("mvn")
    if mvn is None or not POM.is_file():
        raise StoreUnavailable(
            f"the Neo4j server jars are not in {lib} and Maven ({'mvn' if mvn is None else POM}) is missing; "
            "install Maven 3.8+ and run `make neo4j-lib`, or set VARKG_NEO4J_LIB to a folder holding them"
        )
    cmd = [mvn, "-B", *(["-q"] if quiet else []), "-f", str(POM), "package"]
    proc = subprocess.run(cmd, capture_output=quiet, text=True)
    if proc.returncode != 0 or not lib_ready(lib):
        tail = (proc.stdout or "")[-2000:] if quiet else ""
        raise StoreUnavailable(f"`{' '.join(cmd)}` failed (exit {proc.returncode}); Maven Central unreachable?\n{tail}")
    return lib


def java_binary() -> str:
    """``$JAVA_HOME/bin/java`` or ``java`` on PATH; Neo4j 5.26 needs Java 17 or 21."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise StoreUnavailable("no Java found (JAVA_HOME or java on PATH); Neo4j 5.26 needs OpenJDK 17 or 21")
    return java


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for test servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _split(address: str, *, what: str, allow_remote: bool) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StoreUnavailable(f"--{what} {address!r} is not HOST:PORT (e.g. 127.0.0.1:7687)")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise StoreUnavailable(
            f"--{what} {address!r} is not a loopback address; the server binds 127.0.0.1 only unless you pass --allow-remote"
        )
    return host, int(port)


@dataclass(frozen=True)
class NeoServerConfig:
    """How to run the server.

    Args:
        data: the server home (created): conf/, data/, logs/, plugins/, import/, run/.
        bolt: Bolt listen address ``HOST:PORT`` (loopback unless ``allow_remote``).
        http: HTTP listen address for Neo4j Browser and the HTTP API; None turns HTTP off.
        heap: JVM heap (``-Xms`` = ``-Xmx``), Neo4j size syntax (``2g``, ``512m``).
        pagecache: page cache size (store files cached off-heap).
        allow_remote: permit non-loopback listen addresses.
        tx_memory: cap on the memory of all running transactions (``dbms.memory.transaction.total.max``).
    """

    data: Path
    bolt: str = "127.0.0.1:7687"
    http: str | None = "127.0.0.1:7474"
    heap: str = "2g"
    pagecache: str = "2g"
    allow_remote: bool = False
    tx_memory: str = "0"  # 0 = no cap beyond the heap (Neo4j's default is 70% of the heap)

    def conf_text(self) -> str:
        bh, bp = _split(self.bolt, what="bolt", allow_remote=self.allow_remote)
        lines = [
            "# generated by varkg (varkg/store/neo4j_server.py); edits are overwritten on the next start",
            f"server.default_listen_address={bh}",
            f"server.bolt.listen_address={bh}:{bp}",
            # what the HTTP discovery document (and so Neo4j Browser) tells clients to connect to
            f"server.bolt.advertised_address={'localhost' if bh in ('0.0.0.0', '::') else bh}:{bp}",
            "server.bolt.enabled=true",
            "server.https.enabled=false",
        ]
        if self.http is not None:
            hh, hp = _split(self.http, what="http", allow_remote=self.allow_remote)
            lines += ["server.http.enabled=true", f"server.http.listen_address={hh}:{hp}"]
        else:
            lines.append("server.http.enabled=false")
        home = self.data.resolve()
        lines += [
            f"server.directories.data={home / 'data'}",
            f"server.directories.logs={home / 'logs'}",
            f"server.directories.plugins={home / 'plugins'}",
            f"server.directories.import={home / 'import'}",
            f"server.directories.run={home / 'run'}",
            f"server.memory.heap.initial_size={self.heap}",
            f"server.memory.heap.max_size={self.heap}",
            f"server.memory.pagecache.size={self.pagecache}",
            "dbms.usage_report.enabled=false",
            "dbms.security.auth_enabled=true",
            "dbms.security.procedures.unrestricted=apoc.*",
            # keep transaction logs small on a development machine
            "db.tx_log.rotation.retention_policy=2 files",
            "server.logs.gc.enabled=false",
        ]
        if self.tx_memory != "0":
            lines.append(f"dbms.memory.transaction.total.max={self.tx_memory}")
        return "\n".join(lines) + "\n"


class Neo4jServer:
    """A Neo4j Community server process owned by this Python process.

    Args:
        config: where and how to run it.
        password: the ``neo4j`` user's password (``NEO4J_PASSWORD``; at least 8 characters). It is
            set as the initial password on first start; a home initialised with another password
            is reported when Bolt refuses it.
    """

    def __init__(self, config: NeoServerConfig, *, password: str) -> None:
        if len(password) < _MIN_PASSWORD:
            raise StoreUnavailable(
                f"NEO4J_PASSWORD must have at least {_MIN_PASSWORD} characters (Neo4j's minimum); got {len(password)}"
            )
        self.config = config
        self._password = password
        self.home = config.data.resolve()
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None

    # ------------------------------------------------------------------ layout
    @property
    def uri(self) -> str:
        host, port = _split(self.config.bolt, what="bolt", allow_remote=True)
        return f"bolt://{host}:{port}"

    @property
    def browser_url(self) -> str | None:
        return f"http://{self.config.http}/browser/" if self.config.http else None

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "neo4j.log"

    def _classpath(self) -> str:
        # as Neo4j's own launcher: lib/* and plugins/* (APOC registers its extensions through the
        # service loader, so its jars must be on the class path as well as in plugins/)
        lib = ensure_lib()
        jars = sorted(str(p) for p in lib.glob("*.jar") if not p.name.startswith("apoc-"))
        jars += sorted(str(p) for p in (self.home / "plugins").glob("*.jar"))
        return os.pathsep.join(jars)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.home)
        env["NEO4J_CONF"] = str(self.home / "conf")
        return env

    def prepare(self) -> None:
        """Write conf/neo4j.conf, copy APOC into plugins/, set the initial password on a new home."""
        for sub in ("conf", "data", "logs", "plugins", "import", "run"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        (self.home / "conf" / "neo4j.conf").write_text(self.config.conf_text())
        lib = ensure_lib()
        for jar in lib.glob("apoc-*.jar"):
            target = self.home / "plugins" / jar.name
            if not target.exists():
                shutil.copy2(jar, target)
        if not (self.home / "data" / "dbms" / "auth.ini").exists():
            self._admin(["dbms", "set-initial-password", self._password], what="set the initial password")

    def _admin(self, args: Sequence[str], *, what: str, timeout: float = 3600) -> str:
        cmd = [java_binary(), "-Xmx1g", *_JVM_FLAGS[-4:], "-cp", self._classpath(), "org.neo4j.cli.AdminTool", *args]
        proc = subprocess.run(cmd, env=self._env(), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            out = (proc.stdout + proc.stderr).strip().replace(self._password, "***")
            raise StoreUnavailable(f"neo4j-admin could not {what} (exit {proc.returncode}): {out[-3000:]}")
        return proc.stdout

    # ------------------------------------------------------------------ lifecycle
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, timeout: float = 180.0) -> Neo4jServer:
        """Start the server and return once Bolt answers an authenticated query."""
        if self.running():
            return self
        self.prepare()
        _, port = _split(self.config.bolt, what="bolt", allow_remote=True)
        if _port_open(port):
            raise StoreUnavailable(f"port {port} is already in use (another Neo4j?); pass --bolt 127.0.0.1:OTHER")
        cmd = [
            java_binary(),
            f"-Xms{self.config.heap}",
            f"-Xmx{self.config.heap}",
            *_JVM_FLAGS,
            "-cp",
            self._classpath(),
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={self.home}",
            f"--config-dir={self.home / 'conf'}",
        ]
        t0 = time.perf_counter()
        out = open(self.home / "logs" / "console.log", "ab")
        self.proc = subprocess.Popen(cmd, env=self._env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        try:
            self._wait_bolt(timeout=timeout)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.perf_counter() - t0
        return self

    def _wait_bolt(self, *, timeout: float) -> None:
        import neo4j

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise StoreUnavailable(f"Neo4j exited with code {self.proc.returncode} while starting; {self.log_tail()}")
            try:
                with neo4j.GraphDatabase.driver(self.uri, auth=("neo4j", self._password)) as d:
                    d.verify_connectivity()  # no retries: raises at once while the port is closed
                    d.verify_authentication()
                    with d.session() as s:
                        s.run("RETURN 1").consume()
                return
            except neo4j.exceptions.AuthError as exc:
                raise StoreUnavailable(
                    f"Neo4j at {self.uri} refused NEO4J_PASSWORD ({exc.message}); the home {self.home} was initialised "
                    "with another password: use that one, or start on a new --data folder"
                ) from None
            except Exception as exc:  # not up yet: connection refused, service unavailable
                last = exc
                time.sleep(0.5)
        raise StoreUnavailable(f"Neo4j did not answer on {self.uri} within {timeout:.0f} s ({last}); {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        for name in ("neo4j.log", "console.log"):
            p = self.home / "logs" / name
            if p.exists() and p.stat().st_size:
                tail = p.read_text(errors="replace").splitlines()[-lines:]
                return f"last lines of {p}:\n" + "\n".join(tail)
        return f"no log in {self.home / 'logs'}"

    def stop(self, *, grace: float = 60.0) -> None:
        """SIGTERM (clean shutdown: checkpoint, close stores), SIGKILL after ``grace`` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL, no shutdown (fault tests: the server dies mid-load; recovery runs on the next start)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def __enter__(self) -> Neo4jServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ admin
    def admin_import(self, import_dir: Path, *, database: str = "neo4j") -> str:
        """``neo4j-admin database import full`` of :func:`~varkg.store.neo4j.write_bulk_import` CSVs
        (their ``import.args`` file) into ``database``, replacing it. The server must be stopped."""
        if self.running():
            raise StoreUnavailable("stop the server before `neo4j-admin database import full` (it needs the database offline)")
        args_file = Path(import_dir) / "import.args"
        if not args_file.is_file():
            raise StoreUnavailable(f"{args_file} is missing; write it with `varkg neo4j bulk-export --out {import_dir}`")
        self.prepare()
        return self._admin(["database", "import", "full", database, f"@{args_file.resolve()}"], what=f"import {import_dir}")


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0
