"""A real WordPress for the tests: Debian's package served by nginx + php-fpm on a loopback port.

`WordPress.start()` gives a fresh site: its own MariaDB database (127.0.0.1:3306, root), its own
Debian config file `/etc/wordpress/config-<name>.php` (chosen per request by the
`WORDPRESS_CONFIG` FastCGI parameter, as Debian's wp-config.php documents), its own php-fpm
master and nginx on free ports, pretty permalinks, core sitemaps and the REST API on.
`seed_news()` fills it through WordPress's own PHP API (`wp_insert_post` and friends, run by the
`php` CLI) and returns the ground truth: what every post's fields are. `use_theme()` switches
between the block theme (twentytwentythree) and the classic one (twentytwentyone);
`set_features(sitemaps=False, rest=False)` writes a small mu-plugin that turns those off.
A test module gets one with a fixture such as

    @pytest.fixture(scope="module")
    def site() -> Iterator[WordPress]:
        yield from wordpress_site()

Without the Debian packages the tests skip with the install command, except with CI=true,
where .ci/run installs them and a missing package fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

WP_ROOT = Path("/usr/share/wordpress")
WP_CONTENT = Path("/var/lib/wordpress/wp-content")
PHP = Path("/usr/bin/php")
PHP_FPM = Path("/usr/sbin/php-fpm8.2")
NGINX = Path("/usr/sbin/nginx")
BLOCK_THEME = "twentytwentythree"
CLASSIC_THEME = "twentytwentyone"
INSTALL = (
    "apt-get install wordpress wordpress-theme-twentytwentyone php-fpm php-mysql php-xml "
    "nginx-light"
)
SEED_PHP = Path(__file__).with_name("wordpress_seed.php")


def require_wordpress() -> None:
    """Skip (fail with CI=true) unless Debian's WordPress, php-fpm and nginx are installed."""
    needed = [
        WP_ROOT / "wp-load.php",
        WP_ROOT / "wp-content/themes" / BLOCK_THEME,
        WP_ROOT / "wp-content/themes" / CLASSIC_THEME,
        PHP,
        PHP_FPM,
        NGINX,
        Path("/etc/wordpress"),
    ]
    missing = [str(p) for p in needed if not p.exists()]
    if not missing and not os.access("/etc/wordpress", os.W_OK):
        missing.append("write access to /etc/wordpress (Debian's per-site config; run as root)")
    if (
        not missing
        and subprocess.run(
            [str(PHP), "-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"], check=False
        ).returncode
    ):
        missing.append("php-mysql (mysqli)")
    if not missing:
        try:
            _mysql("SELECT 1")
        except RuntimeError as exc:
            missing.append(str(exc))
    if not missing:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but the real WordPress cannot run: {'; '.join(missing)} (.ci/run)")
    pytest.skip(f"real WordPress cannot run (missing: {missing[0]}): {INSTALL}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_MYSQLI = (
    "mysqli_report(MYSQLI_REPORT_OFF);"
    '$db = @new mysqli("127.0.0.1", "root", "", "", 3306);'
    "if ($db->connect_error) { fwrite(STDERR, $db->connect_error); exit(1); }"
    "if (!$db->query($argv[1])) { fwrite(STDERR, $db->error); exit(1); }"
)


def _mysql(sql: str) -> None:
    """One statement on the MariaDB server, through PHP's mysqli (no client package needed)."""
    done = subprocess.run(
        [str(PHP), "-r", _MYSQLI, "--", sql], capture_output=True, text=True, timeout=60
    )
    if done.returncode:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"MariaDB at 127.0.0.1:3306: {message[-1] if message else sql}")


_NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    fastcgi_temp_path {tmp}/fastcgi;
    proxy_temp_path {tmp}/proxy;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        root {root};
        index index.php;
        location / {{ try_files $uri $uri/ /index.php?$args; }}
        location ~ ^/wp-content/(.*)$ {{ alias {content}/$1; }}
        location ~ \\.php$ {{
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $request_filename;
            # Debian's fastcgi_params sends HTTP_HOST without the port: WordPress would then
            # redirect every request to itself (redirect_canonical compares host and port).
            fastcgi_param HTTP_HOST $host:$server_port;
            fastcgi_param WORDPRESS_CONFIG {name};
            fastcgi_pass 127.0.0.1:{fpm_port};
        }}
    }}
}}
"""

_FPM_CONF = """\
[global]
pid = {tmp}/php-fpm.pid
error_log = {tmp}/php-fpm.log
daemonize = no
[newshub]
user = www-data
group = www-data
listen = 127.0.0.1:{fpm_port}
pm = static
pm.max_children = 4
clear_env = no
catch_workers_output = yes
; A switch rewritten by set_features() takes effect on the next request: opcache otherwise
; checks a file's timestamp only every 2 s and serves the code compiled before.
php_admin_value[opcache.revalidate_freq] = 0
"""

_CONFIG_PHP = """<?php
/* newshub test site {name}: written by tests/wordpress_site.py, removed when the test ends. */
define('DB_NAME', '{db}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:3306');
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WPMU_PLUGIN_DIR', '{tmp}/mu-plugins');
define('WP_ALLOW_MULTISITE', false);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
$table_prefix = 'wp_';
"""

# The switches `set_features` writes; core filters documented in wp-includes/sitemaps.php and
# wp-includes/rest-api.php.
_OFF_SITEMAPS = "add_filter('wp_sitemaps_enabled', '__return_false');\n"
_OFF_REST = (
    "add_filter('rest_authentication_errors', function () {\n"
    "    return new WP_Error('rest_disabled', 'REST API disabled', array('status' => 403));\n"
    "});\n"
    "remove_action('wp_head', 'rest_output_link_wp_head', 10);\n"
    "remove_action('template_redirect', 'rest_output_link_header', 11);\n"
)


class WordPress:
    """One running WordPress site; `stop()` removes everything it created."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.name = "newshub-test-" + uuid.uuid4().hex[:10]
        self.db = self.name.replace("-", "_")
        self.port = free_port()
        self.fpm_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = Path(f"/etc/wordpress/config-{self.name}.php")
        self._procs: list[subprocess.Popen[bytes]] = []

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> WordPress:
        for sub in ("mu-plugins", "body", "fastcgi", "proxy", "uwsgi", "scgi"):
            (self.tmp / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.tmp, 0o755)  # php-fpm's workers (www-data) read the mu-plugins
        os.chmod(self.tmp / "mu-plugins", 0o755)
        _mysql(f"CREATE DATABASE `{self.db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        fmt = {
            "tmp": self.tmp, "port": self.port, "fpm_port": self.fpm_port, "root": WP_ROOT,
            "content": WP_CONTENT, "name": self.name, "db": self.db, "url": self.url,
        }  # fmt: skip
        self.config.write_text(_CONFIG_PHP.format(**fmt))
        self.config.chmod(0o644)
        (self.tmp / "nginx.conf").write_text(_NGINX_CONF.format(**fmt))
        (self.tmp / "php-fpm.conf").write_text(_FPM_CONF.format(**fmt))
        self.php("install", self.url)
        self._spawn([str(PHP_FPM), "-R", "-F", "-y", str(self.tmp / "php-fpm.conf")])
        self._spawn(
            [str(NGINX), "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf")],
        )
        try:
            self._wait_up()
        except BaseException:  # never up (or Ctrl-C): stop php-fpm and nginx, re-raise
            self.stop()
            raise
        return self

    def _spawn(self, cmd: list[str]) -> None:
        log = (self.tmp / (Path(cmd[0]).name + ".out")).open("wb")
        self._procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=10) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            for proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited: see {self.tmp}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"WordPress at {self.url} did not answer: see {self.tmp}")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._procs.clear()
        self.config.unlink(missing_ok=True)
        _mysql(f"DROP DATABASE IF EXISTS `{self.db}`")

    # -- PHP ----------------------------------------------------------------------------------

    def php(self, command: str, *args: str, stdin: str | None = None) -> Any:
        """Run one command of tests/wordpress_seed.php inside WordPress; its JSON answer."""
        env = {**os.environ, "WORDPRESS_CONFIG": self.name, "NEWSHUB_WP_HOST": self.url}
        done = subprocess.run(
            [str(PHP), "-d", "memory_limit=512M", str(SEED_PHP), command, *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"wordpress_seed.php {command}: {done.stderr or done.stdout}")
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    def use_theme(self, theme: str) -> None:
        self.php("theme", theme)

    def set_features(self, *, sitemaps: bool = True, rest: bool = True) -> None:
        """Core sitemaps and the REST API on (default) or off, through a mu-plugin."""
        plugin = self.tmp / "mu-plugins" / "newshub-switches.php"
        code = "<?php\n" + ("" if sitemaps else _OFF_SITEMAPS) + ("" if rest else _OFF_REST)
        plugin.write_text(code)
        plugin.chmod(0o644)

    def seed_news(self, posts: list[dict[str, Any]], extras: dict[str, Any]) -> dict[str, Any]:
        """Insert `posts` (see tests/wordpress_news.py) and the extras; ids and permalinks back."""
        payload = json.dumps({"posts": posts, **extras}, ensure_ascii=False)
        result: dict[str, Any] = self.php("seed", stdin=payload)
        return result


def wordpress_site() -> Iterator[WordPress]:
    """A started WordPress, stopped and removed at the end (the body of a pytest fixture).

    Its files live in a directory of their own under /tmp, not pytest's tmp_path: php-fpm's
    workers run as www-data and must read the mu-plugins there (pytest's directories are 0700).
    """
    require_wordpress()
    tmp = Path(tempfile.mkdtemp(prefix="newshub-wordpress-"))
    site = WordPress(tmp)
    try:
        site.start()
        yield site
    finally:
        site.stop()
        shutil.rmtree(tmp, ignore_errors=True)
