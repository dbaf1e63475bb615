"""gunicorn's configuration for production: `gunicorn -c gunicorn.conf.py portal.wsgi:application` (README,
"Production"). Every value can be changed by the environment; gunicorn's own command-line options override them.
"""

import multiprocessing
import os

# Where to listen. Behind the HTTPS reverse proxy, on the loopback or a private address: GUNICORN_BIND, or PORT.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Worker processes: WEB_CONCURRENCY, default two per core plus one (gunicorn's advice for sync workers).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# Long work (documents, audit bundles, imports) runs as background jobs, so a request that takes longer than this is
# a fault: the worker is restarted and the request answered 502 by the proxy.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak cannot grow without end.
max_requests = 2000
max_requests_jitter = 200
# The proxies whose X-Forwarded-* headers gunicorn trusts (the portal itself trusts X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER; the proxy must set it and strip a client's own).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Requests: bounded request line and header sizes (gunicorn's defaults, written down).
limit_request_line = 8190
limit_request_fields = 100
# Logs to standard output and error, for the process manager to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
