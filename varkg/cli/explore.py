"""``varkg explore``: serve the local graph explorer."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("explore")
    def explore(
        port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
        host: Annotated[str, typer.Option("--host", help="Interface to bind (default loopback only).")] = "127.0.0.1",
        allow_remote: Annotated[
            bool, typer.Option("--allow-remote", help="Allow a non-loopback --host (the explorer has no authentication).")
        ] = False,
        max_rows: Annotated[int, typer.Option("--max-rows", help="Rows one query may return.")] = 1000,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds one query may run.")] = 10.0,
        open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the page in the default browser.")] = False,
    ) -> None:
        """Serve a read-only graph explorer on http://127.0.0.1:PORT: search a gene, variant or
        phenotype, see its neighbourhood, click a node to expand it and read its properties
        (predictions, causal evidence). Stop with Ctrl-C.

        Example: varkg --store demo.db explore --port 8765
        """
        from varkg.cli._common import cli_store, console, run_cli
        from varkg.explore.server import serve

        def go() -> None:
            with cli_store(read_only=True) as store:
                srv = serve(store, port=port, host=host, allow_remote=allow_remote, max_rows=max_rows, timeout_s=timeout)
                url = f"http://{host}:{srv.server_address[1]}/"
                console.print(f"varkg explore on [bold]{url}[/] (read-only; Ctrl-C to stop)")
                if open_browser:
                    import webbrowser

                    webbrowser.open(url)
                try:
                    srv.serve_forever()
                except KeyboardInterrupt:
                    pass
                finally:
                    srv.server_close()

        run_cli(go)
